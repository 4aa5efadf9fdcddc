// Browser half of viewer/bridge.py: builds the vtk.js scene from one packed
// binary blob, draws one frame, then applies small style/camera/label/marker
// messages (one coalesced render each) and reports picks and camera moves.
// Only public Panel ESM and vtk.js APIs are used (see viewer/bridge.py).

const CLICK_SLOP_PX = 6
const CLICK_MAX_MS = 700
const OPAQUE_ENOUGH = 0.5
const CAMERA_REPORT_MS = 400
const LABEL_GAP = 10

function now() { return performance.now() }

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script")
    s.src = url
    s.onload = resolve
    s.onerror = () => reject(new Error(`could not load ${url}`))
    document.head.append(s)
  })
}

// vtk.js is normally on the page already (pn.extension("vtk")); otherwise
// load Panel's bundled copy once for every view on the page.
async function ensureVtk(urls) {
  if (window.vtk && window.vtk.Rendering) return window.vtk
  if (!window.__tsvVtkLoading) {
    window.__tsvVtkLoading = (async () => {
      for (const url of urls || []) {
        try { await loadScript(url) } catch (e) { continue }
        if (window.vtk && window.vtk.Rendering) return
      }
      throw new Error("vtk.js is not available: call pn.extension('vtk')")
    })()
  }
  await window.__tsvVtkLoading
  return window.vtk
}

function toArrayBuffer(value) {
  if (value instanceof ArrayBuffer) return value
  if (ArrayBuffer.isView(value)) return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength)
  if (typeof value === "string" && value.length) {
    const bin = atob(value)
    const out = new Uint8Array(bin.length)
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
    return out.buffer
  }
  return null
}

async function inflate(buffer) {
  const stream = new Blob([buffer]).stream().pipeThrough(new DecompressionStream("deflate"))
  return await new Response(stream).arrayBuffer()
}

// True when WebGL is rendered in software (SwiftShader, llvmpipe, a GPU-less
// VM or remote desktop), where multisampling costs ~2.5x per frame.
const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|softpipe|lavapipe|software|basic render/i

function softwareWebGL() {
  try {
    const c = document.createElement("canvas")
    const opts = { failIfMajorPerformanceCaveat: true }
    const gl = c.getContext("webgl2", opts) || c.getContext("webgl", opts)
    if (!gl) return true
    const info = gl.getExtension("WEBGL_debug_renderer_info")
    const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) || "")
    const lose = gl.getExtension("WEBGL_lose_context")
    if (lose) lose.loseContext()
    return SOFTWARE_RENDERERS.test(name)
  } catch (e) {
    return false
  }
}

function hexToRgb(colour) {
  const hex = String(colour || "#888888").replace("#", "")
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
}

export function render({ model, el }) {
  performance.mark("tsv-render")
  const stage = document.createElement("div")
  stage.className = "tsv-stage"
  const glHost = document.createElement("div")
  glHost.className = "tsv-gl"
  const overlay = document.createElement("div")
  overlay.className = "tsv-labels"
  overlay.setAttribute("aria-hidden", "true")
  const status = document.createElement("div")
  status.className = "tsv-status"
  status.textContent = "Loading the 3D model…"
  stage.append(glHost, overlay, status)
  el.append(stage)

  const st = {
    built: false, ready: false, removed: false, seq: 0, pendingSeq: 0, renders: 0, queued: false,
    labels: [], markerActors: [], lastPick: null, pickMs: null, applyMs: null, t0: null,
    queue: [], timings: {}, software: false, antialias: true, cameraEcho: -1, cameraTimer: null,
  }
  let vtk = null, grw = null, renderer = null, renderWindow = null, glw = null, camera = null
  const actors = new Map()   // structure id -> vtkActor
  const byIndex = []         // blob position -> vtkActor
  const sidOf = new Map()    // vtkActor -> structure id
  const observers = []
  const subscriptions = []

  // ---- rendering: at most one frame per animation frame
  function requestRender() {
    if (!st.built || st.queued || st.removed) return
    st.queued = true
    requestAnimationFrame(() => {
      st.queued = false
      if (!st.removed) renderNow()
    })
  }

  function renderNow() {
    renderer.resetCameraClippingRange()
    renderWindow.render()
    st.renders += 1
    placeLabels()
    if (st.pendingSeq > st.seq) {
      st.seq = st.pendingSeq
      el.dataset.seq = String(st.seq)
    }
    if (st.t0 !== null) { st.applyMs = now() - st.t0; st.t0 = null }
  }

  // Size the canvas to its box; false if the box is empty or did not change.
  function resize() {
    const r = glHost.getBoundingClientRect()
    if (!r.width || !r.height) return false
    const dpr = Math.min(window.devicePixelRatio || 1, st.software ? 1 : 2)
    const w = Math.max(1, Math.floor(r.width * dpr)), h = Math.max(1, Math.floor(r.height * dpr))
    const size = glw.getSize()
    if (size[0] === w && size[1] === h) return false
    glw.setSize(w, h)
    return true
  }

  function whenSized() {
    return new Promise((resolve) => {
      const sized = () => { resize(); const r = glHost.getBoundingClientRect(); return r.width > 0 && r.height > 0 }
      if (sized()) { resolve(); return }
      const ro = new ResizeObserver(() => { if (sized()) { ro.disconnect(); resolve() } })
      ro.observe(glHost)
    })
  }

  // ---- scene construction from the packed blob (see viewer/serialize.py)
  function build(raw, boot) {
    const C = vtk.Rendering.Core
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(raw, 4, new DataView(raw).getUint32(0, true))))
    if (header.version !== 1) throw new Error(`unknown geometry version ${header.version}`)
    const base = 4 + new DataView(raw).getUint32(0, true)
    const material = boot.material || {}
    for (const s of header.structures) {
      const np = s.n_points, nt = s.n_tris
      const q = new Uint16Array(raw, base + s.points, np * 3)
      const pts = new Float32Array(np * 3)
      const [ox, oy, oz] = s.origin, [sx, sy, sz] = s.step
      for (let i = 0; i < pts.length; i += 3) {
        pts[i] = ox + q[i] * sx
        pts[i + 1] = oy + q[i + 1] * sy
        pts[i + 2] = oz + q[i + 2] * sz
      }
      const n8 = new Int8Array(raw, base + s.normals, np * 3)
      const nrm = new Float32Array(np * 3)
      for (let i = 0; i < nrm.length; i += 3) {
        const a = n8[i], b = n8[i + 1], c = n8[i + 2]
        const len = Math.hypot(a, b, c) || 1
        nrm[i] = a / len; nrm[i + 1] = b / len; nrm[i + 2] = c / len
      }
      const tris = s.index === "uint32" ? new Uint32Array(raw, base + s.tris, nt * 3) : new Uint16Array(raw, base + s.tris, nt * 3)
      const cells = new Uint32Array(nt * 4)
      for (let i = 0, j = 0; i < tris.length; i += 3, j += 4) {
        cells[j] = 3; cells[j + 1] = tris[i]; cells[j + 2] = tris[i + 1]; cells[j + 3] = tris[i + 2]
      }
      const pd = vtk.Common.DataModel.vtkPolyData.newInstance()
      pd.getPoints().setData(pts, 3)
      pd.getPolys().setData(cells, 1)
      pd.getPointData().setNormals(vtk.Common.Core.vtkDataArray.newInstance({ name: "Normals", numberOfComponents: 3, values: nrm }))
      const mapper = C.vtkMapper.newInstance({ scalarVisibility: false })
      mapper.setInputData(pd)
      const actor = C.vtkActor.newInstance()
      actor.setMapper(mapper)
      const p = actor.getProperty()
      p.setAmbient(material.ambient ?? 0.18)
      p.setDiffuse(material.diffuse ?? 0.82)
      p.setSpecular(material.specular ?? 0.18)
      p.setSpecularPower(material.specular_power ?? 18)
      p.setInterpolationToPhong()
      p.setBackfaceCulling(true)  // closed, outward-facing surfaces
      renderer.addActor(actor)
      actors.set(s.id, actor)
      byIndex.push(actor)
      sidOf.set(actor, s.id)
    }
  }

  // ---- messages from Python
  // styles: [[r, g, b, opacity, visible, "i-j,k,..."], ...] (blob positions as ranges)
  function applyStyles(styles) {
    for (const s of styles) {
      for (const part of String(s[5]).split(",")) {
        const [lo, hi] = part.split("-").map(Number)
        for (let i = lo; i <= (hi === undefined ? lo : hi); i++) {
          const actor = byIndex[i]
          if (!actor) continue
          const p = actor.getProperty()
          p.setColor(s[0], s[1], s[2])
          p.setOpacity(s[3])
          actor.setVisibility(!!s[4])
        }
      }
    }
  }

  function applyCamera(cam) {
    camera.set({ parallelProjection: false, ...cam })
    st.cameraEcho = camera.getMTime()
    st.cameraSent = cameraKey()  // Python knows this camera: never echo it back
  }

  function markerActor(marker) {
    const m = { radius: 4, opacity: 1, ...marker }  // defaults are left out of the messages
    const C = vtk.Rendering.Core
    let source
    const actor = C.vtkActor.newInstance()
    if (m.kind === "path" && m.points.length > 1) {
      const pd = vtk.Common.DataModel.vtkPolyData.newInstance()
      pd.getPoints().setData(Float32Array.from(m.points.flat()), 3)
      pd.getLines().setData(Uint32Array.from([m.points.length, ...m.points.map((_, i) => i)]))
      source = vtk.Filters.General.vtkTubeFilter.newInstance({ radius: m.radius / 2, numberOfSides: 12, capping: true })
      source.setInputData(pd)
    } else {
      const region = m.kind === "region"
      const centre = region ? m.centre : m.points[0]
      source = vtk.Filters.Sources.vtkSphereSource.newInstance({
        center: region ? [0, 0, 0] : centre, radius: region ? 1 : m.radius, thetaResolution: 24, phiResolution: 16,
      })
      if (region) { actor.setPosition(...centre); actor.setScale(...m.half) }
    }
    if (m.kind === "region") {  // a translucent zone, not a shiny ball
      const p = actor.getProperty()
      p.setAmbient(0.55); p.setDiffuse(0.45); p.setSpecular(0); p.setBackfaceCulling(true)
    }
    const mapper = C.vtkMapper.newInstance()
    mapper.setInputConnection(source.getOutputPort())
    actor.setMapper(mapper)
    actor.getProperty().setColor(...hexToRgb(m.colour))
    actor.getProperty().setOpacity(m.opacity)
    actor.setPickable(false)
    return actor
  }

  function applyMarkers(markers) {
    for (const a of st.markerActors) renderer.removeActor(a)
    st.markerActors = markers.map(markerActor)
    for (const a of st.markerActors) renderer.addActor(a)
  }

  // Apply a message; returns "render" if the 3D scene changed, "labels" if
  // only the HTML labels did, "" if the message is older than what is shown.
  function apply(msg) {
    if (!msg || (msg.seq || 0) <= st.pendingSeq) return ""
    if (msg.styles) applyStyles(msg.styles)
    if (msg.camera) applyCamera(msg.camera)
    if (msg.markers) applyMarkers(msg.markers)
    if (msg.labels) st.labels = msg.labels
    if ("pick" in msg) st.pick = msg.pick
    st.pendingSeq = msg.seq || st.pendingSeq
    return msg.styles || msg.camera || msg.markers ? "render" : "labels"
  }

  model.on("msg:custom", (msg) => {
    if (!st.built) { st.queue.push(msg); return }
    st.t0 = now()
    const what = apply(msg)
    if (what === "render") requestRender()
    else if (what === "labels" && !st.queued) {  // no new frame needed
      placeLabels()
      st.seq = st.pendingSeq
      el.dataset.seq = String(st.seq)
      st.applyMs = now() - st.t0
      st.t0 = null
    }
  })

  // ---- labels: HTML over the canvas, placed without overlaps
  function project(xyz) {
    const size = glw.getSize()
    const rect = glHost.getBoundingClientRect()
    const d = glw.worldToDisplay(xyz[0], xyz[1], xyz[2], renderer)
    return { x: d[0] * rect.width / size[0], y: rect.height - d[1] * rect.height / size[1], depth: d[2], rect }
  }

  function overlaps(a, b) {
    return a.x < b.x + b.w + 4 && b.x < a.x + a.w + 4 && a.y < b.y + b.h + 3 && b.y < a.y + a.h + 3
  }

  function placeLabels() {
    overlay.replaceChildren()
    const all = st.pick ? [...st.labels, { ...st.pick, colour: "#1a202c", pick: true }] : st.labels
    if (!st.built || !all.length) return
    const rect = glHost.getBoundingClientRect()
    const items = []
    for (const lab of all) {
      const p = project(lab.position)
      if (p.depth < 0 || p.depth > 1 || p.x < 0 || p.y < 0 || p.x > rect.width || p.y > rect.height) continue
      const div = document.createElement("div")
      div.className = lab.pick ? "tsv-label tsv-pick" : "tsv-label"
      div.textContent = lab.text
      div.title = lab.text
      div.style.borderColor = lab.colour
      overlay.append(div)
      items.push({ lab, p, div, w: div.offsetWidth, h: div.offsetHeight })
    }
    items.sort((a, b) => a.p.y - b.p.y || a.p.x - b.p.x)
    const placed = items.map((it) => ({ x: it.p.x - 5, y: it.p.y - 5, w: 10, h: 10 }))  // keep anchors visible
    const boxes = []
    for (const it of items) {
      const { p, w, h } = it
      let best = null
      for (let ring = 1; ring <= 6 && !best; ring++) {
        const d = LABEL_GAP * ring
        const candidates = [
          [-w / 2, -h - d], [d, -h - d / 2], [-w - d, -h - d / 2], [d, -h / 2], [-w - d, -h / 2],
          [-w / 2, d], [d, d / 2], [-w - d, d / 2],
        ]
        for (const [dx, dy] of candidates) {
          const box = { x: p.x + dx, y: p.y + dy, w, h }
          if (box.x < 2 || box.y < 2 || box.x + w > rect.width - 2 || box.y + h > rect.height - 2) continue
          if (boxes.some((b) => overlaps(box, b))) continue
          if (placed.some((b, i) => items[i] !== it && overlaps(box, b))) continue
          best = box
          break
        }
      }
      if (!best) {  // crowded: clamp next to the anchor rather than drop the label
        best = { x: Math.min(Math.max(2, p.x - w / 2), rect.width - w - 2), y: Math.min(Math.max(2, p.y - h - LABEL_GAP), rect.height - h - 2), w, h }
      }
      boxes.push(best)
      it.div.style.transform = `translate(${Math.round(best.x)}px, ${Math.round(best.y)}px)`
      // leader line from the anchor to the nearest point of the box, and a dot on the anchor
      const cx = Math.min(Math.max(p.x, best.x), best.x + w), cy = Math.min(Math.max(p.y, best.y), best.y + h)
      const len = Math.hypot(cx - p.x, cy - p.y)
      if (len > 3) {
        const line = document.createElement("div")
        line.className = "tsv-leader"
        line.style.width = `${len}px`
        line.style.background = it.lab.colour
        line.style.transform = `translate(${p.x}px, ${p.y - 1}px) rotate(${Math.atan2(cy - p.y, cx - p.x)}rad)`
        overlay.prepend(line)
      }
      const dot = document.createElement("div")
      dot.className = "tsv-dot"
      dot.style.background = it.lab.colour
      dot.style.transform = `translate(${p.x}px, ${p.y}px)`
      overlay.prepend(dot)
    }
  }

  // ---- camera moves made in the browser go back to Python (for exports)
  function viewSize() {
    const r = glHost.getBoundingClientRect()
    return [Math.round(r.width), Math.round(r.height)]
  }

  // the camera as sent and compared (0.1 mm / 1e-4 is below anything visible)
  function cameraKey() {
    const r = (v, k) => v.map((x) => Math.round(x * k) / k)
    return JSON.stringify([r(camera.getPosition(), 10), r(camera.getFocalPoint(), 10), r(camera.getViewUp(), 1e4), camera.getViewAngle()])
  }

  function reportCamera() {
    st.cameraTimer = null
    if (st.removed || camera.getMTime() === st.cameraEcho) return
    st.cameraEcho = camera.getMTime()
    const key = cameraKey()
    if (key === st.cameraSent) return  // only the clipping range changed (every render), not the view
    st.cameraSent = key
    st.cameraReports = (st.cameraReports || 0) + 1
    model.send_msg({
      type: "camera", position: camera.getPosition(), focalPoint: camera.getFocalPoint(),
      viewUp: camera.getViewUp(), viewAngle: camera.getViewAngle(), size: viewSize(),
    })
  }

  function onCameraModified() {
    if (!st.labelQueued) {
      st.labelQueued = true
      requestAnimationFrame(() => { st.labelQueued = false; if (!st.removed) placeLabels() })
    }
    if (camera.getMTime() === st.cameraEcho) return
    clearTimeout(st.cameraTimer)
    st.cameraTimer = setTimeout(reportCamera, CAMERA_REPORT_MS)
  }

  // ---- picking (in the browser, no server round trip)
  let picker = null
  let down = null

  function pickAt(clientX, clientY) {
    const t0 = now()
    const size = glw.getSize()
    const rect = glHost.getBoundingClientRect()
    const x = (clientX - rect.left) * size[0] / rect.width
    const y = size[1] - (clientY - rect.top) * size[1] / rect.height
    picker.pick([x, y, 0], renderer)
    const hits = picker.getActors().filter((a) => sidOf.has(a) && a.getVisibility())
    const hit = hits.find((a) => a.getProperty().getOpacity() >= OPAQUE_ENOUGH) || hits[0] || null
    st.pickMs = now() - t0
    const sid = hit ? sidOf.get(hit) : null
    st.lastPick = sid
    st.pickPosition = sid ? Array.from(picker.getPickPosition()) : null
    return sid
  }

  // A click must not cost frames: vtk.js's interactor renders when a button
  // goes down and up even if the camera did not move (~0.4 s a frame in
  // software WebGL).  Its rendering is held until the pointer really moves.
  function holdInteractorRender(on) {
    const interactor = grw && grw.getInteractor()
    if (interactor) interactor.setEnableRender(!on)
  }

  stage.addEventListener("pointerdown", (e) => {
    down = { x: e.clientX, y: e.clientY, t: now(), left: e.button === 0, moved: false }
    holdInteractorRender(true)
  }, true)
  stage.addEventListener("pointermove", (e) => {
    if (!down || down.moved || Math.hypot(e.clientX - down.x, e.clientY - down.y) <= CLICK_SLOP_PX) return
    down.moved = true
    holdInteractorRender(false)
  }, true)
  stage.addEventListener("pointercancel", () => { down = null; holdInteractorRender(false) }, true)
  stage.addEventListener("pointerup", (e) => {
    const press = down
    down = null
    if (!press) return
    // release the hold after vtk.js has handled this event and its last animation frame
    setTimeout(() => requestAnimationFrame(() => { if (!down) holdInteractorRender(false) }), 0)
    if (!st.ready || !press.left || press.moved) return
    const moved = Math.hypot(e.clientX - press.x, e.clientY - press.y)
    if (moved > CLICK_SLOP_PX || now() - press.t > CLICK_MAX_MS) return
    const sid = pickAt(e.clientX, e.clientY)
    model.send_msg({ type: "pick", id: sid, ms: Math.round(st.pickMs), position: st.pickPosition })
    if (!sid && st.pick) { st.pick = null; placeLabels() }
    el.dataset.picked = sid || ""
  }, true)

  // ---- start: load, inflate, build, apply the boot state, draw one frame
  async function geometry() {
    if (typeof DecompressionStream === "function") {
      const packed = toArrayBuffer(model.geometry)
      if (packed && packed.byteLength) return await inflate(packed)
    }
    if (!toArrayBuffer(model.geometry_raw)) {
      const arrived = new Promise((resolve) => model.on("geometry_raw", resolve))
      model.send_msg({ type: "raw" })
      await arrived
    }
    return toArrayBuffer(model.geometry_raw)
  }

  async function start() {
    const t = { start: now() }
    const boot = model.boot || {}
    const [lib, raw] = await Promise.all([ensureVtk(model.vtk_url), geometry()])
    vtk = lib
    t.inflated = now()
    if (st.removed) return
    st.software = softwareWebGL()
    st.antialias = model.antialias === "on" || (model.antialias === "auto" && !st.software)
    grw = vtk.Rendering.Misc.vtkGenericRenderWindow.newInstance({
      background: hexToRgb(boot.background || "#f4f5f7"), listenWindowResize: false,
    })
    glw = grw.getApiSpecificRenderWindow()
    // create the WebGL context ourselves, so that the anti-aliasing choice applies
    const canvas = glw.getCanvas()
    const attrs = { antialias: st.antialias, preserveDrawingBuffer: false, depth: true, alpha: true, powerPreference: "high-performance" }
    st.gl = canvas.getContext("webgl2", attrs) || canvas.getContext("webgl", attrs)
    canvas.style.width = "100%"
    canvas.style.height = "100%"
    grw.setContainer(glHost)
    renderer = grw.getRenderer()
    renderWindow = grw.getRenderWindow()
    camera = renderer.getActiveCamera()
    picker = vtk.Rendering.Core.vtkCellPicker.newInstance()
    picker.setTolerance(0)
    t.setup = now()
    build(raw, boot)
    t.built = now()
    apply(boot)
    for (const msg of st.queue.splice(0)) apply(msg)
    st.built = true
    t.applied = now()
    await whenSized()
    if (st.removed) return
    t.sized = now()
    renderNow()
    t.drawn = now()
    // wait until the GPU has finished the frame, so that "ready" means pixels
    const gl = st.gl
    if (gl) gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4))
    t.frame = now()
    st.ready = true
    status.hidden = true
    el.dataset.ready = "1"
    performance.mark("tsv-first-frame")
    st.timings = {
      inflate_ms: Math.round(t.inflated - t.start), setup_ms: Math.round(t.setup - t.inflated),
      build_ms: Math.round(t.built - t.setup), apply_ms: Math.round(t.applied - t.built),
      wait_size_ms: Math.round(t.sized - t.applied), render_ms: Math.round(t.drawn - t.sized),
      gpu_ms: Math.round(t.frame - t.drawn), total_ms: Math.round(t.frame - t.start),
      page_ms: Math.round(t.frame), antialias: st.antialias ? 1 : 0, software: st.software ? 1 : 0,
    }
    subscriptions.push(camera.onModified(onCameraModified))
    const ro = new ResizeObserver(() => { if (resize()) requestRender() })
    ro.observe(glHost)
    observers.push(ro)
    model.send_msg({ type: "ready", seq: st.seq, size: viewSize(), ms: st.timings })
  }

  start().catch((err) => {
    console.error("tsv: the 3D view could not start", err)
    status.textContent = `The 3D view could not start: ${err && err.message ? err.message : err}`
    el.dataset.error = String(err && err.message ? err.message : err)
  })

  // ---- small API for notebooks, debugging and browser tests
  const api = {
    get ready() { return st.ready },
    get seq() { return st.seq },
    get renders() { return st.renders },
    get pickMs() { return st.pickMs },
    get applyMs() { return st.applyMs },
    get lastPick() { return st.lastPick },
    get markers() { return st.markerActors.length },
    get timings() { return { ...st.timings } },
    get cameraReports() { return st.cameraReports || 0 },
    get camera() { return camera ? { position: camera.getPosition(), focalPoint: camera.getFocalPoint(), viewUp: camera.getViewUp() } : null },
    get labels() { return Array.from(overlay.querySelectorAll(".tsv-label:not(.tsv-pick)")).map((d) => d.textContent) },
    get pickLabel() { const d = overlay.querySelector(".tsv-pick"); return d ? d.textContent : null },
    labelBoxes() {
      return Array.from(overlay.querySelectorAll(".tsv-label")).map((d) => {
        const r = d.getBoundingClientRect()
        return { text: d.textContent, x: r.left, y: r.top, w: r.width, h: r.height, clipped: d.scrollWidth > d.clientWidth }
      })
    },
    style(sid) {
      const a = actors.get(sid)
      if (!a) return null
      return [...a.getProperty().getColor(), a.getProperty().getOpacity(), a.getVisibility()]
    },
    // Page coordinates of the surface points of a structure that picking
    // resolves to that structure (first `limit` found).
    probe(sid, limit = 1) {
      const a = actors.get(sid)
      if (!a || !a.getVisibility()) return []
      const pts = a.getMapper().getInputData().getPoints().getData()
      const n = pts.length / 3
      const out = []
      const step = Math.max(1, Math.floor(n / 300))
      const rect = glHost.getBoundingClientRect()
      for (let i = 0; i < n && out.length < limit; i += step) {
        const p = project([pts[3 * i], pts[3 * i + 1], pts[3 * i + 2]])
        // keep only points well inside the structure's silhouette (robust to rounding)
        const cx = Math.round(rect.left + p.x), cy = Math.round(rect.top + p.y)
        if (cx < rect.left + 4 || cy < rect.top + 4 || cx > rect.right - 4 || cy > rect.bottom - 4) continue
        const around = [[0, 0], [3, 0], [-3, 0], [0, 3], [0, -3]]
        if (around.every(([dx, dy]) => pickAt(cx + dx, cy + dy) === sid)) out.push([cx, cy])
      }
      return out
    },
    project(xyz) { const p = project(xyz); return [p.rect.left + p.x, p.rect.top + p.y] },
    render() { if (st.built) renderNow() },
    // ms per full frame, GPU work included (debugging, benchmarks)
    timeRender(n = 3) {
      const out = []
      for (let i = 0; i < n && st.built; i++) {
        const t0 = now()
        renderNow()
        if (st.gl) st.gl.readPixels(0, 0, 1, 1, st.gl.RGBA, st.gl.UNSIGNED_BYTE, new Uint8Array(4))
        out.push(Math.round(now() - t0))
      }
      return out
    },
  }
  window.tsvBridges = window.tsvBridges || []
  window.tsvBridges.push(api)
  el.tsv = api

  model.on("remove", () => {
    st.removed = true
    clearTimeout(st.cameraTimer)
    for (const o of observers) o.disconnect()
    for (const s of subscriptions) s.unsubscribe()
    if (grw) grw.delete()
    window.tsvBridges = (window.tsvBridges || []).filter((b) => b !== api)
  })
}
