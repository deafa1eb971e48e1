;; Values of every component type passed into and out of a component, through
;; the Canonical ABI: scalars flat, strings and lists through memory and realloc.

(component $values
  (core module $m
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    ;; A bump allocator: enough for a script's worth of calls.
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      global.get $bump
      local.get 2
      i32.add
      i32.const -1
      i32.add
      i32.const 0
      local.get 2
      i32.sub
      i32.and
      local.tee $p
      local.get 3
      i32.add
      global.set $bump
      local.get $p)
    (func (export "id32") (param i32) (result i32) local.get 0)
    (func (export "id64") (param i64) (result i64) local.get 0)
    (func (export "idf32") (param f32) (result f32) local.get 0)
    (func (export "idf64") (param f64) (result f64) local.get 0)
    ;; (ptr, len) in, a pointer to (ptr, len) out.
    (func (export "idmem") (param i32 i32) (result i32)
      i32.const 16 local.get 0 i32.store
      i32.const 20 local.get 1 i32.store
      i32.const 16)
    (func (export "add") (param i32 i32) (result i32)
      local.get 0 local.get 1 i32.add)
    (func (export "len") (param i32 i32) (result i32) local.get 1)
    ;; Sums the bytes of a list<u8>.
    (func (export "sum") (param $p i32) (param $n i32) (result i32)
      (local $s i32)
      block $done
        loop $next
          local.get $n
          i32.eqz
          br_if $done
          local.get $s
          local.get $p
          i32.load8_u
          i32.add
          local.set $s
          local.get $p
          i32.const 1
          i32.add
          local.set $p
          local.get $n
          i32.const 1
          i32.sub
          local.set $n
          br $next
        end
      end
      local.get $s)
    ;; option<u32>: discriminant and payload, returned in memory.
    (func (export "idopt") (param i32 i32) (result i32)
      i32.const 32 local.get 0 i32.store8
      i32.const 36 local.get 1 i32.store
      i32.const 32)
    (func (export "idpair") (param i32 i32) (result i32)
      i32.const 48 local.get 0 i32.store
      i32.const 52 local.get 1 i32.store
      i32.const 48)
  )
  (core instance $i (instantiate $m))
  (alias core export $i "mem" (core memory $mem))
  (alias core export $i "realloc" (core func $realloc))

  (type $point (record (field "x" s32) (field "y" s32)))
  (type $shape (variant (case "none") (case "circle" u32) (case "square" u32)))
  (type $color (enum "red" "green" "blue"))
  (type $perms (flags "read" "write" "exec"))
  (export $point' "point-type" (type $point))
  (export $shape' "shape-type" (type $shape))
  (export $color' "color-type" (type $color))
  (export $perms' "perms-type" (type $perms))

  (func (export "bool") (param "x" bool) (result bool) (canon lift (core func $i "id32")))
  (func (export "u8") (param "x" u8) (result u8) (canon lift (core func $i "id32")))
  (func (export "s8") (param "x" s8) (result s8) (canon lift (core func $i "id32")))
  (func (export "u16") (param "x" u16) (result u16) (canon lift (core func $i "id32")))
  (func (export "s16") (param "x" s16) (result s16) (canon lift (core func $i "id32")))
  (func (export "u32") (param "x" u32) (result u32) (canon lift (core func $i "id32")))
  (func (export "s32") (param "x" s32) (result s32) (canon lift (core func $i "id32")))
  (func (export "u64") (param "x" u64) (result u64) (canon lift (core func $i "id64")))
  (func (export "s64") (param "x" s64) (result s64) (canon lift (core func $i "id64")))
  (func (export "f32") (param "x" f32) (result f32) (canon lift (core func $i "idf32")))
  (func (export "f64") (param "x" f64) (result f64) (canon lift (core func $i "idf64")))
  (func (export "char") (param "x" char) (result char) (canon lift (core func $i "id32")))
  (func (export "string") (param "x" string) (result string)
    (canon lift (core func $i "idmem") (memory $mem) (realloc $realloc)))
  (func (export "string-len") (param "x" string) (result u32)
    (canon lift (core func $i "len") (memory $mem) (realloc $realloc)))
  (func (export "list") (param "x" (list u8)) (result (list u8))
    (canon lift (core func $i "idmem") (memory $mem) (realloc $realloc)))
  (func (export "list-sum") (param "x" (list u8)) (result u32)
    (canon lift (core func $i "sum") (memory $mem) (realloc $realloc)))
  (func (export "strings") (param "x" (list string)) (result u32)
    (canon lift (core func $i "len") (memory $mem) (realloc $realloc)))
  (func (export "point") (param "p" $point') (result $point')
    (canon lift (core func $i "idpair") (memory $mem)))
  (func (export "tuple") (param "p" (tuple u32 s32)) (result (tuple u32 s32))
    (canon lift (core func $i "idpair") (memory $mem)))
  (func (export "add") (param "a" u32) (param "b" u32) (result u32)
    (canon lift (core func $i "add")))
  (func (export "shape") (param "s" $shape') (result $shape')
    (canon lift (core func $i "idpair") (memory $mem)))
  (func (export "color") (param "c" $color') (result $color')
    (canon lift (core func $i "id32")))
  (func (export "perms") (param "p" $perms') (result $perms')
    (canon lift (core func $i "id32")))
  (func (export "option") (param "o" (option u32)) (result (option u32))
    (canon lift (core func $i "idopt") (memory $mem)))
  (func (export "result") (param "r" (result u32 (error u32))) (result (result u32 (error u32)))
    (canon lift (core func $i "idpair") (memory $mem)))
  (func (export "unit-result") (param "r" (result)) (result (result))
    (canon lift (core func $i "id32")))
)

(assert_return (invoke "bool" (bool.const true)) (bool.const true))
(assert_return (invoke "bool" (bool.const false)) (bool.const false))
(assert_return (invoke "u8" (u8.const 255)) (u8.const 255))
(assert_return (invoke "s8" (s8.const -128)) (s8.const -128))
(assert_return (invoke "u16" (u16.const 65535)) (u16.const 65535))
(assert_return (invoke "s16" (s16.const -32768)) (s16.const -32768))
(assert_return (invoke "u32" (u32.const 4294967295)) (u32.const 4294967295))
(assert_return (invoke "s32" (s32.const -2147483648)) (s32.const -2147483648))
(assert_return (invoke "u64" (u64.const 18446744073709551615)) (u64.const 18446744073709551615))
(assert_return (invoke "s64" (s64.const -9223372036854775808)) (s64.const -9223372036854775808))
(assert_return (invoke "f32" (f32.const 1.5)) (f32.const 1.5))
(assert_return (invoke "f32" (f32.const -0)) (f32.const -0))
(assert_return (invoke "f32" (f32.const nan)) (f32.const nan))
(assert_return (invoke "f64" (f64.const -2.25)) (f64.const -2.25))
(assert_return (invoke "f64" (f64.const inf)) (f64.const inf))
(assert_return (invoke "char" (char.const "a")) (char.const "a"))
(assert_return (invoke "char" (char.const "☃")) (char.const "☃"))
(assert_return (invoke "char" (char.const "🦀")) (char.const "🦀"))
(assert_return (invoke "string" (str.const "")) (str.const ""))
(assert_return (invoke "string" (str.const "hello")) (str.const "hello"))
(assert_return (invoke "string" (str.const "héllo wörld ☃ 🦀")) (str.const "héllo wörld ☃ 🦀"))
(assert_return (invoke "string-len" (str.const "héllo")) (u32.const 6))
(assert_return (invoke "list" (list.const)) (list.const))
(assert_return (invoke "list" (list.const (u8.const 1) (u8.const 2) (u8.const 255)))
  (list.const (u8.const 1) (u8.const 2) (u8.const 255)))
(assert_return (invoke "list-sum" (list.const (u8.const 10) (u8.const 20) (u8.const 30))) (u32.const 60))
(assert_return (invoke "strings" (list.const (str.const "a") (str.const "b") (str.const "c"))) (u32.const 3))
(assert_return (invoke "point" (record.const (field "x" s32.const 3) (field "y" s32.const -4)))
  (record.const (field "x" s32.const 3) (field "y" s32.const -4)))
(assert_return (invoke "tuple" (tuple.const (u32.const 7) (s32.const -7)))
  (tuple.const (u32.const 7) (s32.const -7)))
(assert_return (invoke "add" (u32.const 40) (u32.const 2)) (u32.const 42))
(assert_return (invoke "add" (u32.const 4294967295) (u32.const 1)) (u32.const 0))
(assert_return (invoke "shape" (variant.const "none")) (variant.const "none"))
(assert_return (invoke "shape" (variant.const "circle" (u32.const 5))) (variant.const "circle" (u32.const 5)))
(assert_return (invoke "shape" (variant.const "square" (u32.const 9))) (variant.const "square" (u32.const 9)))
(assert_return (invoke "color" (enum.const "red")) (enum.const "red"))
(assert_return (invoke "color" (enum.const "blue")) (enum.const "blue"))
(assert_return (invoke "perms" (flags.const)) (flags.const))
(assert_return (invoke "perms" (flags.const "read" "exec")) (flags.const "read" "exec"))
(assert_return (invoke "perms" (flags.const "read" "write" "exec")) (flags.const "read" "write" "exec"))
(assert_return (invoke "option" (option.none)) (option.none))
(assert_return (invoke "option" (option.some (u32.const 77))) (option.some (u32.const 77)))
(assert_return (invoke "result" (result.ok (u32.const 1))) (result.ok (u32.const 1)))
(assert_return (invoke "result" (result.err (u32.const 2))) (result.err (u32.const 2)))
(assert_return (invoke "unit-result" (result.ok)) (result.ok))
(assert_return (invoke "unit-result" (result.err)) (result.err))

