;; Resources: handles made, read and dropped with the canonical built-ins, the
;; destructor run on the last drop, own and borrow handles passed between
;; components, and the traps for handles that are gone.

(component definition $Local
  (core module $state
    (global $drops (export "drops") (mut i32) (i32.const 0))
    (global $last (export "last") (mut i32) (i32.const 0))
    (func (export "dtor") (param i32)
      global.get $drops i32.const 1 i32.add global.set $drops
      local.get 0 global.set $last))
  (core instance $s (instantiate $state))
  (type $r (resource (rep i32) (dtor (core func $s "dtor"))))
  (core func $new (canon resource.new $r))
  (core func $rep (canon resource.rep $r))
  (core func $drop (canon resource.drop $r))
  (core module $m
    (import "r" "new" (func $new (param i32) (result i32)))
    (import "r" "rep" (func $rep (param i32) (result i32)))
    (import "r" "drop" (func $drop (param i32)))
    (import "s" "drops" (global $drops (mut i32)))
    (import "s" "last" (global $last (mut i32)))
    (func (export "rep-of-new") (param i32) (result i32)
      local.get 0 call $new call $rep)
    (func (export "new-drop") (param i32) (result i32)
      local.get 0 call $new call $drop
      global.get $drops)
    (func (export "last") (result i32) global.get $last)
    ;; Handles are table indices: a dropped slot is reused by the next handle.
    (func (export "handles") (result i32)
      (local $a i32) (local $b i32)
      i32.const 10 call $new local.set $a
      i32.const 20 call $new local.set $b
      local.get $a call $drop
      i32.const 30 call $new
      local.get $a i32.ne
      local.get $b call $rep i32.const 20 i32.ne
      i32.or)
    (func (export "drop-twice")
      (local $h i32)
      i32.const 5 call $new local.tee $h call $drop
      local.get $h call $drop)
    (func (export "rep-after-drop") (result i32)
      (local $h i32)
      i32.const 5 call $new local.tee $h call $drop
      local.get $h call $rep)
    (func (export "drop-unknown") i32.const 99 call $drop))
  (core instance $i (instantiate $m
    (with "r" (instance (export "new" (func $new)) (export "rep" (func $rep)) (export "drop" (func $drop))))
    (with "s" (instance $s))))
  (func (export "rep-of-new") (param "x" u32) (result u32) (canon lift (core func $i "rep-of-new")))
  (func (export "new-drop") (param "x" u32) (result u32) (canon lift (core func $i "new-drop")))
  (func (export "last") (result u32) (canon lift (core func $i "last")))
  (func (export "handles") (result u32) (canon lift (core func $i "handles")))
  (func (export "drop-twice") (canon lift (core func $i "drop-twice")))
  (func (export "rep-after-drop") (result u32) (canon lift (core func $i "rep-after-drop")))
  (func (export "drop-unknown") (canon lift (core func $i "drop-unknown")))
)
(component instance $local $Local)
(assert_return (invoke "rep-of-new" (u32.const 42)) (u32.const 42))
(assert_return (invoke "new-drop" (u32.const 7)) (u32.const 1))
(assert_return (invoke "last") (u32.const 7))
(assert_return (invoke "new-drop" (u32.const 8)) (u32.const 2))
(assert_return (invoke "last") (u32.const 8))
(assert_return (invoke "handles") (u32.const 0))
(assert_trap (invoke "drop-twice") "unknown handle index")
(component instance $local $Local)
(assert_trap (invoke "rep-after-drop") "unknown handle index")
(component instance $local $Local)
(assert_trap (invoke "drop-unknown") "unknown handle index 99")

;; own and borrow across a component boundary.
(component definition $Pair
  (component $def
    (core module $state
      (global $drops (export "drops") (mut i32) (i32.const 0))
      (func (export "dtor") (param i32)
        global.get $drops local.get 0 i32.add global.set $drops))
    (core instance $s (instantiate $state))
    (type $thing (resource (rep i32) (dtor (core func $s "dtor"))))
    (core func $new (canon resource.new $thing))
    (core func $rep (canon resource.rep $thing))
    (core module $m
      (import "r" "new" (func $new (param i32) (result i32)))
      (import "r" "rep" (func $rep (param i32) (result i32)))
      (import "s" "drops" (global $drops (mut i32)))
      (func (export "make") (param i32) (result i32) local.get 0 call $new)
      ;; A borrow handle is lowered as the representation for the defining component.
      (func (export "get") (param i32) (result i32) local.get 0)
      (func (export "take") (param i32) (result i32) local.get 0 call $rep)
      (func (export "drops") (result i32) global.get $drops))
    (core instance $i (instantiate $m
      (with "r" (instance (export "new" (func $new)) (export "rep" (func $rep))))
      (with "s" (instance $s))))
    (export $t "thing" (type $thing))
    (func (export "[constructor]thing") (param "v" u32) (result (own $t))
      (canon lift (core func $i "make")))
    (func (export "[method]thing.get") (param "self" (borrow $t)) (result u32)
      (canon lift (core func $i "get")))
    (func (export "[static]thing.take") (param "t" (own $t)) (result u32)
      (canon lift (core func $i "take")))
    (func (export "drops") (result u32) (canon lift (core func $i "drops"))))

  (component $use
    (import "d" (instance $d
      (export "thing" (type $t (sub resource)))
      (export "[constructor]thing" (func (param "v" u32) (result (own $t))))
      (export "[method]thing.get" (func (param "self" (borrow $t)) (result u32)))
      (export "[static]thing.take" (func (param "t" (own $t)) (result u32)))
      (export "drops" (func (result u32)))))
    (alias export $d "thing" (type $t))
    (core func $make (canon lower (func $d "[constructor]thing")))
    (core func $get (canon lower (func $d "[method]thing.get")))
    (core func $take (canon lower (func $d "[static]thing.take")))
    (core func $drops (canon lower (func $d "drops")))
    (core func $drop (canon resource.drop $t))
    (core module $m
      (import "d" "make" (func $make (param i32) (result i32)))
      (import "d" "get" (func $get (param i32) (result i32)))
      (import "d" "take" (func $take (param i32) (result i32)))
      (import "d" "drops" (func $drops (result i32)))
      (import "d" "drop" (func $drop (param i32)))
      ;; Makes a thing, reads it through a borrow, drops it: the defining
      ;; component's destructor sees the representation.
      (func (export "borrow-then-drop") (param i32) (result i32)
        (local $h i32) (local $v i32)
        local.get 0 call $make local.tee $h
        call $get local.set $v
        local.get $h call $drop
        call $drops
        i32.const 1000 i32.mul
        local.get $v i32.add)
      ;; Moving the own handle into the callee takes it from this table.
      (func (export "take") (param i32) (result i32)
        local.get 0 call $make call $take)
      (func (export "use-after-move") (result i32)
        (local $h i32)
        i32.const 3 call $make local.tee $h call $take drop
        local.get $h call $get)
      (func (export "drop-after-move")
        (local $h i32)
        i32.const 3 call $make local.tee $h call $take drop
        local.get $h call $drop))
    (core instance $i (instantiate $m
      (with "d" (instance
        (export "make" (func $make)) (export "get" (func $get)) (export "take" (func $take))
        (export "drops" (func $drops)) (export "drop" (func $drop))))))
    (func (export "borrow-then-drop") (param "v" u32) (result u32)
      (canon lift (core func $i "borrow-then-drop")))
    (func (export "take") (param "v" u32) (result u32) (canon lift (core func $i "take")))
    (func (export "use-after-move") (result u32) (canon lift (core func $i "use-after-move")))
    (func (export "drop-after-move") (canon lift (core func $i "drop-after-move"))))

  (instance $d (instantiate $def))
  (instance $u (instantiate $use (with "d" (instance $d))))
  (export "borrow-then-drop" (func $u "borrow-then-drop"))
  (export "take" (func $u "take"))
  (export "use-after-move" (func $u "use-after-move"))
  (export "drop-after-move" (func $u "drop-after-move"))
  (export "drops" (func $d "drops"))
)
(component instance $pair $Pair)
(assert_return (invoke "borrow-then-drop" (u32.const 5)) (u32.const 5005))
(assert_return (invoke "borrow-then-drop" (u32.const 6)) (u32.const 11006))
(assert_return (invoke "take" (u32.const 9)) (u32.const 9))
;; A handle moved into `take` is not dropped by the caller: the destructor has not run.
(assert_return (invoke "drops") (u32.const 11))
(assert_trap (invoke "use-after-move") "unknown handle index")
(component instance $pair $Pair)
(assert_trap (invoke "drop-after-move") "unknown handle index")
