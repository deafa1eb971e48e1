;; Linking between components: a registered instance's functions satisfy
;; another component's imports; instances built inside one component pass
;; values to each other through fused adapters.

(component $provider
  (core module $m
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      global.get $bump
      local.tee $p
      local.get 3
      i32.add
      i32.const 7
      i32.add
      i32.const -8
      i32.and
      global.set $bump
      local.get $p)
    (func (export "double") (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
    (func (export "len") (param i32 i32) (result i32) local.get 1))
  (core instance $i (instantiate $m))
  (func (export "double") (param "x" u32) (result u32) (canon lift (core func $i "double")))
  (func (export "len") (param "s" string) (result u32)
    (canon lift (core func $i "len") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
)
(register "provider" $provider)
(assert_return (invoke $provider "double" (u32.const 21)) (u32.const 42))

(component $consumer
  (import "provider" (instance $p
    (export "double" (func (param "x" u32) (result u32)))
    (export "len" (func (param "s" string) (result u32)))))
  (core func $double (canon lower (func $p "double")))
  (core module $mem (memory (export "mem") 1))
  (core instance $mi (instantiate $mem))
  (core func $len (canon lower (func $p "len") (memory (core memory $mi "mem"))))
  (core module $m
    (import "p" "double" (func $double (param i32) (result i32)))
    (import "p" "len" (func $len (param i32 i32) (result i32)))
    (import "m" "mem" (memory 1))
    (data (i32.const 100) "hello, world")
    (func (export "quadruple") (param i32) (result i32)
      local.get 0 call $double call $double)
    (func (export "greeting-len") (result i32)
      i32.const 100 i32.const 12 call $len))
  (core instance $i (instantiate $m
    (with "p" (instance (export "double" (func $double)) (export "len" (func $len))))
    (with "m" (instance $mi))))
  (func (export "quadruple") (param "x" u32) (result u32) (canon lift (core func $i "quadruple")))
  (func (export "greeting-len") (result u32) (canon lift (core func $i "greeting-len")))
)
(assert_return (invoke "quadruple" (u32.const 5)) (u32.const 20))
(assert_return (invoke "greeting-len") (u32.const 12))
;; The provider is still reachable by its name.
(assert_return (invoke $provider "len" (str.const "abc")) (u32.const 3))

;; An import with no definition, or of the wrong kind, does not link.
(assert_unlinkable
  (component (import "nowhere" (func)))
  "nowhere")
(assert_unlinkable
  (component (import "provider" (instance (export "triple" (func (param "x" u32) (result u32))))))
  "triple")
(assert_unlinkable
  (component (import "provider" (func)))
  "provider")

;; Two instances of one nested component, wired together inside an outer one: a
;; string crosses from one instance's memory into the other's.
(component $outer
  (component $echo
    (core module $m
      (memory (export "mem") 1)
      (global $bump (mut i32) (i32.const 1024))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $p i32)
        global.get $bump
        local.tee $p
        local.get 3
        i32.add
        i32.const 7
        i32.add
        i32.const -8
        i32.and
        global.set $bump
        local.get $p)
      (func (export "echo") (param i32 i32) (result i32)
        i32.const 16 local.get 0 i32.store
        i32.const 20 local.get 1 i32.store
        i32.const 16))
    (core instance $i (instantiate $m))
    (func (export "echo") (param "s" string) (result string)
      (canon lift (core func $i "echo") (memory (core memory $i "mem")) (realloc (core func $i "realloc")))))
  (component $shout
    (import "echo" (func $echo (param "s" string) (result string)))
    (core module $mem
      (memory (export "mem") 1)
      (global $bump (mut i32) (i32.const 2048))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $p i32)
        global.get $bump
        local.tee $p
        local.get 3
        i32.add
        i32.const 7
        i32.add
        i32.const -8
        i32.and
        global.set $bump
        local.get $p))
    (core instance $mi (instantiate $mem))
    (core func $echo (canon lower (func $echo)
      (memory (core memory $mi "mem")) (realloc (core func $mi "realloc"))))
    (core module $m
      (import "m" "mem" (memory 1))
      (import "e" "echo" (func $echo (param i32 i32 i32)))
      ;; Passes the caller's string on, then upper-cases the copy it gets back.
      (func (export "shout") (param $p i32) (param $n i32) (result i32)
        (local $q i32) (local $i i32)
        local.get $p local.get $n i32.const 32 call $echo
        i32.const 32 i32.load local.set $q
        block $done
          loop $next
            local.get $i i32.const 36 i32.load i32.ge_u br_if $done
            local.get $q local.get $i i32.add
            local.get $q local.get $i i32.add i32.load8_u
            i32.const 0xdf i32.and
            i32.store8
            local.get $i i32.const 1 i32.add local.set $i
            br $next
          end
        end
        i32.const 32))
    (core instance $i (instantiate $m
      (with "m" (instance $mi))
      (with "e" (instance (export "echo" (func $echo))))))
    (func (export "shout") (param "s" string) (result string)
      (canon lift (core func $i "shout") (memory (core memory $mi "mem")) (realloc (core func $mi "realloc")))))
  (instance $e (instantiate $echo))
  (instance $s (instantiate $shout (with "echo" (func $e "echo"))))
  (export "shout" (func $s "shout"))
  (export "echo" (func $e "echo"))
)
(assert_return (invoke $outer "shout" (str.const "hello")) (str.const "HELLO"))
(assert_return (invoke $outer "echo" (str.const "quiet")) (str.const "quiet"))
(assert_return (invoke $outer "shout" (str.const "")) (str.const ""))

;; A registered component's instance export re-exported under a new name.
(register "outer" $outer)
(component
  (import "outer" (instance $o (export "shout" (func (param "s" string) (result string)))))
  (export "loud" (func $o "shout")))
(assert_return (invoke "loud" (str.const "abc")) (str.const "ABC"))

;; A type imported with an `eq` bound, as `wit-component` writes a world's own
;; types, needs no definition.
(component
  (type $pair (record (field "a" u32) (field "b" u32)))
  (import "pair" (type $pair' (eq $pair)))
  (core module $m
    (memory (export "mem") 1)
    (func (export "sum") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
  (core instance $i (instantiate $m))
  (func (export "sum") (param "p" $pair') (result u32) (canon lift (core func $i "sum"))))
(assert_return (invoke "sum" (record.const (field "a" u32.const 2) (field "b" u32.const 5))) (u32.const 7))
;; A resource type imported without a definition still does not link.
(assert_unlinkable
  (component (import "thing" (type (sub resource))))
  "thing")
