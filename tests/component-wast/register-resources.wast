;; `register` of a component instance exposes its exported resource types:
;; a later component imports the type, receives handles to it from the
;; registered instance's functions, passes them back as `borrow` and `own`,
;; and the defining instance's destructor runs when the last `own` is dropped.

(component $counter
  (core module $state
    (global $drops (export "drops") (mut i32) (i32.const 0))
    (func (export "dtor") (param i32)
      global.get $drops i32.const 1 i32.add global.set $drops))
  (core instance $s (instantiate $state))
  (type $c (resource (rep i32) (dtor (core func $s "dtor"))))
  (core func $new (canon resource.new $c))
  (core func $drop (canon resource.drop $c))
  (core module $m
    (import "r" "new" (func $new (param i32) (result i32)))
    (import "r" "drop" (func $drop (param i32)))
    (import "s" "drops" (global $drops (mut i32)))
    (func (export "make") (param i32) (result i32) (call $new (local.get 0)))
    ;; A borrow of the instance's own type arrives as the representation.
    (func (export "value") (param i32) (result i32) (local.get 0))
    ;; An `own` arrives as a handle: drop it, which runs the destructor.
    (func (export "consume") (param i32) (call $drop (local.get 0)))
    (func (export "drops") (result i32) (global.get $drops)))
  (core instance $i (instantiate $m
    (with "r" (instance (export "new" (func $new)) (export "drop" (func $drop))))
    (with "s" (instance $s))))
  (export $ce "counter" (type $c))
  (func (export "make") (param "v" u32) (result (own $ce))
    (canon lift (core func $i "make")))
  (func (export "value") (param "c" (borrow $ce)) (result u32)
    (canon lift (core func $i "value")))
  (func (export "consume") (param "c" (own $ce))
    (canon lift (core func $i "consume")))
  (func (export "drops") (result u32) (canon lift (core func $i "drops")))
)
(register "counter" $counter)

(component $user
  (import "counter" (instance $c
    (export "counter" (type $t (sub resource)))
    (export "make" (func (param "v" u32) (result (own $t))))
    (export "value" (func (param "c" (borrow $t)) (result u32)))
    (export "consume" (func (param "c" (own $t))))))
  (alias export $c "counter" (type $t))
  (core func $make (canon lower (func $c "make")))
  (core func $value (canon lower (func $c "value")))
  (core func $consume (canon lower (func $c "consume")))
  (core func $drop (canon resource.drop $t))
  (core module $m
    (import "c" "make" (func $make (param i32) (result i32)))
    (import "c" "value" (func $value (param i32) (result i32)))
    (import "c" "consume" (func $consume (param i32)))
    (import "c" "drop" (func $drop (param i32)))
    ;; Makes a counter, reads it through a borrow, and gives it back.
    (func (export "round-trip") (param i32) (result i32)
      (local $h i32) (local $v i32)
      (local.set $h (call $make (local.get 0)))
      (local.set $v (call $value (local.get $h)))
      (call $consume (local.get $h))
      (local.get $v))
    ;; Makes a counter and drops the handle itself.
    (func (export "make-and-drop") (param i32)
      (call $drop (call $make (local.get 0))))
    ;; Uses a handle after giving it away.
    (func (export "use-after-move") (result i32)
      (local $h i32)
      (local.set $h (call $make (i32.const 1)))
      (call $consume (local.get $h))
      (call $value (local.get $h))))
  (core instance $i (instantiate $m
    (with "c" (instance
      (export "make" (func $make))
      (export "value" (func $value))
      (export "consume" (func $consume))
      (export "drop" (func $drop))))))
  (func (export "round-trip") (param "v" u32) (result u32)
    (canon lift (core func $i "round-trip")))
  (func (export "make-and-drop") (param "v" u32)
    (canon lift (core func $i "make-and-drop")))
  (func (export "use-after-move") (result u32)
    (canon lift (core func $i "use-after-move")))
)

(assert_return (invoke $user "round-trip" (u32.const 42)) (u32.const 42))
(assert_return (invoke $counter "drops") (u32.const 1))
(assert_return (invoke $user "make-and-drop" (u32.const 7)))
(assert_return (invoke $counter "drops") (u32.const 2))
(assert_trap (invoke $user "use-after-move") "unknown handle index")
