;; Components that do not validate, that are not well-formed, and that do not
;; link; and core modules and components side by side in one script.

(assert_invalid
  (component
    (core module $m (func (export "f") (param i32)))
    (core instance $i (instantiate $m))
    (func (export "f") (result u32) (canon lift (core func $i "f"))))
  "do not match")
(assert_invalid
  (component (export "a" (func 0)))
  "unknown function")
(assert_invalid
  (component
    (core module $m (func (export "f") (param i32 i32)))
    (core instance $i (instantiate $m))
    (func (export "f") (param "s" string) (canon lift (core func $i "f"))))
  "canonical option `memory` is required")
(assert_invalid
  (component
    (import "a" (func))
    (import "a" (func)))
  "conflicts with previous name")
(assert_invalid
  (component
    (core module $m (func (export "f") (result i32) i32.const 0))
    (core instance $i (instantiate $m))
    (func (export "f") (result (enum "a" "b")) (canon lift (core func $i "f"))))
  "func not valid to be used as export")

;; A component's header with a future layer or version is malformed.
(assert_malformed
  (component binary "\00asm" "\0e\00\01\00")
  "unknown binary version")
(assert_malformed
  (component binary "\00asm" "\0d\00\01\00" "\ff")
  "")
(assert_malformed
  (component quote "(component (func (export \"f\") (param \"x\" u33)))")
  "")
(assert_malformed
  (component binary "")
  "")

;; A core module script and components in the same file: each directive runs
;; against the kind it names.
(module $core (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
(assert_return (invoke $core "add" (i32.const 2) (i32.const 3)) (i32.const 5))
(component $comp
  (core module $m (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
  (core instance $i (instantiate $m))
  (func (export "add") (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add"))))
(assert_return (invoke $comp "add" (u32.const 2) (u32.const 3)) (u32.const 5))
(assert_return (invoke $core "add" (i32.const 4) (i32.const 3)) (i32.const 7))

;; A component's bytes given as a core module are rejected with a message that
;; says it is a component, and the reverse.
(assert_malformed
  (module binary "\00asm" "\0d\00\01\00")
  "is a WebAssembly component, not a core module")
(assert_malformed
  (component binary "\00asm" "\01\00\00\00")
  "is a core WebAssembly module, not a component")
