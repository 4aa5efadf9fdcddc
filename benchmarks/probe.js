// Injected before any page script (page.add_init_script) by benchmarks/run.py.
// Records, in the page's own clock (performance.now(), 0 = navigation start):
//  - every websocket frame: direction, time, payload bytes, first 400 characters;
//  - every WebGL frame drawn on a large canvas: time, share of the canvas that is
//    not background, and a checksum of the pixels (read in the same task as the
//    draw calls, so it works with preserveDrawingBuffer: false).
// Nothing of the app is changed; the cost (one readPixels per drawn frame) is the
// same for the app and the baseline.
(() => {
  if (window.__bench) return
  const B = window.__bench = { ws: [], frames: [], bg: [244, 245, 247], maxFrames: 2000 }
  const enc = new TextEncoder()
  const size = (d) => typeof d === "string" ? enc.encode(d).length : (d && (d.byteLength ?? d.size)) || 0
  const head = (d) => typeof d === "string" ? d.slice(0, 400) : null

  const Native = window.WebSocket
  class BenchSocket extends Native {
    constructor(...args) {
      super(...args)
      this.addEventListener("message", (e) => {
        B.ws.push({ d: "in", t: performance.now(), n: size(e.data), h: head(e.data) })
      })
    }
    send(data) {
      B.ws.push({ d: "out", t: performance.now(), n: size(data), h: head(data) })
      return super.send(data)
    }
  }
  window.WebSocket = BenchSocket

  const pending = new Set()
  let buf = null
  function probe(gl) {
    pending.delete(gl)
    const w = gl.drawingBufferWidth, h = gl.drawingBufferHeight
    if (w < 200 || h < 200 || B.frames.length >= B.maxFrames) return
    const n = w * h * 4
    if (!buf || buf.length < n) buf = new Uint8Array(n)
    const gl2 = typeof WebGL2RenderingContext !== "undefined" && gl instanceof WebGL2RenderingContext
    const target = gl2 ? gl.READ_FRAMEBUFFER : gl.FRAMEBUFFER
    const prev = gl.getParameter(gl2 ? gl.READ_FRAMEBUFFER_BINDING : gl.FRAMEBUFFER_BINDING)
    gl.bindFramebuffer(target, null)
    gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, buf)
    gl.bindFramebuffer(target, prev)
    const [br, bg, bb] = B.bg
    let cover = 0, total = 0, sum = 0
    for (let y = 0; y < h; y += 4) {
      for (let x = 0; x < w; x += 4) {
        const i = (y * w + x) * 4
        const r = buf[i], g = buf[i + 1], b = buf[i + 2]
        total += 1
        if (Math.abs(r - br) + Math.abs(g - bg) + Math.abs(b - bb) > 30) cover += 1
        sum = (sum + ((r >> 3) * 3 + (g >> 3) * 5 + (b >> 3) * 7) * ((total % 251) + 1)) >>> 0
      }
    }
    B.frames.push({ t: performance.now(), w, h, cover: cover / total, sum })
  }
  const names = ["drawElements", "drawArrays", "drawElementsInstanced", "drawArraysInstanced", "drawRangeElements"]
  for (const C of [window.WebGL2RenderingContext, window.WebGLRenderingContext]) {
    if (!C) continue
    for (const name of names) {
      const orig = C.prototype[name]
      if (typeof orig !== "function") continue
      C.prototype[name] = function (...args) {
        const out = orig.apply(this, args)
        if (!pending.has(this)) {
          pending.add(this)
          queueMicrotask(() => probe(this))
        }
        return out
      }
    }
  }
})()
