;; The Canonical ABI's handle-table rules, each with the spec's trap
;; (CanonicalABI.md, `lift_own`, `Task.return_`, `canon_resource_rep`):
;; - an `own` handle lent as a `borrow` in the same call cannot be moved out;
;; - a callee must drop every borrow it received before it returns;
;; - `resource.rep` of one type on a handle of another type traps.

(component definition $Rules
  (component $def
    (type $thing (resource (rep i32)))
    (type $other (resource (rep i32)))
    (core func $new (canon resource.new $thing))
    (core func $new-other (canon resource.new $other))
    (core func $rep (canon resource.rep $thing))
    (core module $m
      (import "r" "new" (func $new (param i32) (result i32)))
      (import "r" "new-other" (func $new-other (param i32) (result i32)))
      (import "r" "rep" (func $rep (param i32) (result i32)))
      (func (export "make") (param i32) (result i32) local.get 0 call $new)
      ;; `resource.rep` of `thing` on a handle to an `other`.
      (func (export "rep-of-other") (result i32)
        i32.const 5 call $new-other call $rep)
      (func (export "rep-of-thing") (result i32)
        i32.const 6 call $new call $rep))
    (core instance $i (instantiate $m
      (with "r" (instance
        (export "new" (func $new)) (export "new-other" (func $new-other))
        (export "rep" (func $rep))))))
    (export $t "thing" (type $thing))
    (func (export "make") (param "v" u32) (result (own $t))
      (canon lift (core func $i "make")))
    (func (export "rep-of-other") (result u32) (canon lift (core func $i "rep-of-other")))
    (func (export "rep-of-thing") (result u32) (canon lift (core func $i "rep-of-thing"))))

  ;; Receives handles of `thing` from another component.
  (component $callee
    (import "d" (instance $d (export "thing" (type $t (sub resource)))))
    (alias export $d "thing" (type $t))
    (core func $drop (canon resource.drop $t))
    (core module $m
      (import "d" "drop" (func $drop (param i32)))
      (func (export "keep") (param i32))
      (func (export "release") (param i32) local.get 0 call $drop)
      (func (export "both") (param i32 i32)
        local.get 0 call $drop
        local.get 1 call $drop))
    (core instance $i (instantiate $m (with "d" (instance (export "drop" (func $drop))))))
    (func (export "keep") (param "b" (borrow $t)) (canon lift (core func $i "keep")))
    (func (export "release") (param "b" (borrow $t)) (canon lift (core func $i "release")))
    (func (export "both") (param "b" (borrow $t)) (param "o" (own $t))
      (canon lift (core func $i "both"))))

  (component $caller
    (import "d" (instance $d
      (export "thing" (type $t (sub resource)))
      (export "make" (func (param "v" u32) (result (own $t))))))
    (alias export $d "thing" (type $t))
    (import "c" (instance $c
      (export "keep" (func (param "b" (borrow $t))))
      (export "release" (func (param "b" (borrow $t))))
      (export "both" (func (param "b" (borrow $t)) (param "o" (own $t))))))
    (core func $make (canon lower (func $d "make")))
    (core func $keep (canon lower (func $c "keep")))
    (core func $release (canon lower (func $c "release")))
    (core func $both (canon lower (func $c "both")))
    (core module $m
      (import "x" "make" (func $make (param i32) (result i32)))
      (import "x" "keep" (func $keep (param i32)))
      (import "x" "release" (func $release (param i32)))
      (import "x" "both" (func $both (param i32 i32)))
      (func (export "lend-and-release")
        i32.const 1 call $make call $release)
      (func (export "lend-and-keep")
        i32.const 1 call $make call $keep)
      ;; The same handle lent as the `borrow` and moved as the `own` of one call.
      (func (export "lend-and-move")
        (local $h i32)
        i32.const 1 call $make local.tee $h
        local.get $h call $both))
    (core instance $i (instantiate $m
      (with "x" (instance
        (export "make" (func $make)) (export "keep" (func $keep))
        (export "release" (func $release)) (export "both" (func $both))))))
    (func (export "lend-and-release") (canon lift (core func $i "lend-and-release")))
    (func (export "lend-and-keep") (canon lift (core func $i "lend-and-keep")))
    (func (export "lend-and-move") (canon lift (core func $i "lend-and-move"))))

  (instance $d (instantiate $def))
  (instance $c (instantiate $callee (with "d" (instance $d))))
  (instance $u (instantiate $caller (with "d" (instance $d)) (with "c" (instance $c))))
  (export "lend-and-release" (func $u "lend-and-release"))
  (export "lend-and-keep" (func $u "lend-and-keep"))
  (export "lend-and-move" (func $u "lend-and-move"))
  (export "rep-of-thing" (func $d "rep-of-thing"))
  (export "rep-of-other" (func $d "rep-of-other"))
)

(component instance $rules $Rules)
(assert_return (invoke "lend-and-release"))
(assert_return (invoke "rep-of-thing") (u32.const 6))
(assert_trap (invoke "lend-and-keep") "borrow handles still remain at the end of the call")
(component instance $rules $Rules)
(assert_trap (invoke "lend-and-move") "cannot remove owned resource while borrowed")
(component instance $rules $Rules)
(assert_trap (invoke "rep-of-other") "used with the wrong type")
