;; The codec's XOR kernel in WebAssembly SIMD: dst[0..len) ^= src[0..len), 16 bytes per instruction, 64 per turn.
;; Offsets are multiples of 16 and len is rounded up to 16 by the caller (the arena keeps the padding).
;; Compiled by `npm run build:wasm` into xor-wasm.ts (base64), which a test keeps in step with this file.
(module
  (import "env" "memory" (memory 1))
  (func (export "xor") (param $dst i32) (param $src i32) (param $len i32)
    (local $end i32)
    (local $end64 i32)
    (local.set $end (i32.add (local.get $src) (local.get $len)))
    (local.set $end64 (i32.add (local.get $src) (i32.and (local.get $len) (i32.const -64))))
    (block $done64
      (loop $next64
        (br_if $done64 (i32.ge_u (local.get $src) (local.get $end64)))
        (v128.store offset=0 (local.get $dst)
          (v128.xor (v128.load offset=0 (local.get $dst)) (v128.load offset=0 (local.get $src))))
        (v128.store offset=16 (local.get $dst)
          (v128.xor (v128.load offset=16 (local.get $dst)) (v128.load offset=16 (local.get $src))))
        (v128.store offset=32 (local.get $dst)
          (v128.xor (v128.load offset=32 (local.get $dst)) (v128.load offset=32 (local.get $src))))
        (v128.store offset=48 (local.get $dst)
          (v128.xor (v128.load offset=48 (local.get $dst)) (v128.load offset=48 (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
        (local.set $src (i32.add (local.get $src) (i32.const 64)))
        (br $next64)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (v128.store (local.get $dst)
          (v128.xor (v128.load (local.get $dst)) (v128.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $next))))
  ;; One pass over src into three accumulators: the common case of an (r, 3) encoder.
  (func (export "xor3") (param $a i32) (param $b i32) (param $c i32) (param $src i32) (param $len i32)
    (local $end i32)
    (local $w v128)
    (local.set $end (i32.add (local.get $src) (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $w (v128.load (local.get $src)))
        (v128.store (local.get $a) (v128.xor (v128.load (local.get $a)) (local.get $w)))
        (v128.store (local.get $b) (v128.xor (v128.load (local.get $b)) (local.get $w)))
        (v128.store (local.get $c) (v128.xor (v128.load (local.get $c)) (local.get $w)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $next)))))
