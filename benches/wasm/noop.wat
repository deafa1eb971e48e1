;; An empty exported function, for measuring the cost of one host-to-wasm call.
(module
  (func (export "noop"))
  (func (export "run") (result i64) i64.const 0))
