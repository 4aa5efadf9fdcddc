// Browser half of viewer/bridge.py: applies small style/camera/label/marker
// messages to the vtk.js scene of Panel's VTK pane and reports picks.
// Panel/vtk.js internals used are listed in the docstring of viewer/bridge.py.

const POLL_MS = 100
const CLICK_SLOP_PX = 6
const CLICK_MAX_MS = 700
const OPAQUE_ENOUGH = 0.5

export function render({ model, data, el, view }) {
  performance.mark("tsv-render")
  const vtk = window.vtk
  const stage = document.createElement("div")
  stage.className = "tsv-stage"
  const overlay = document.createElement("div")
  overlay.className = "tsv-labels"
  overlay.setAttribute("aria-hidden", "true")
  stage.append(model.get_child("pane"), overlay)
  el.append(stage)

  const st = {
    ready: false, seq: 0, renders: 0, labels: [], markers: [], markerActors: [],
    lastPick: null, pickMs: null, applyMs: null, byInstance: null, pending: [], cameraSub: null,
  }

  const rw = () => (data.pane ? data.pane.renderer_el : null)
  const paneView = () => view.get_child_view(data.pane)
  const ids = () => model.actor_ids || {}
  const ctx = () => rw().getSynchronizerContext()
  const renderer = () => rw().getRenderer()
  const actorOf = (sid) => { const id = ids()[sid]; return id ? ctx().getInstance(id) : null }

  function sidOf(actor) {
    if (!st.byInstance) {
      st.byInstance = {}
      for (const [sid, iid] of Object.entries(ids())) st.byInstance[iid] = sid
    }
    const iid = ctx().getInstanceId(actor)
    return iid ? st.byInstance[iid] || null : null
  }

  // Render exactly once for a batch of changes.  Each camera setter fires
  // onModified, which Panel's view turns into a full render; the view skips
  // rendering while `_renderable` is false, so we hold it during the batch.
  function batch(fn) {
    const pv = paneView()
    const was = pv._renderable
    pv._renderable = false
    try { fn() } finally { pv._renderable = was }
    rw().getRenderWindow().render()
    st.renders += 1
    placeLabels()
  }

  function applyStyles(styles) {
    for (const [sid, s] of Object.entries(styles)) {
      const actor = actorOf(sid)
      if (!actor) continue
      const p = actor.getProperty()
      p.setColor(s[0], s[1], s[2])
      p.setDiffuseColor(s[0], s[1], s[2])
      p.setAmbientColor(s[0], s[1], s[2])
      p.setOpacity(s[3])
      actor.setVisibility(!!s[4])
    }
  }

  function applyCamera(cam) {
    const camera = renderer().getActiveCamera()
    camera.set(cam)
    renderer().resetCameraClippingRange()
  }

  function clearMarkers() {
    for (const a of st.markerActors) renderer().removeActor(a)
    st.markerActors = []
  }

  function markerActor(m) {
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
      const centre = m.kind === "region" ? m.centre : m.points[0]
      source = vtk.Filters.Sources.vtkSphereSource.newInstance({
        center: m.kind === "region" ? [0, 0, 0] : centre,
        radius: m.kind === "region" ? 1 : m.radius, thetaResolution: 24, phiResolution: 16,
      })
      if (m.kind === "region") { actor.setPosition(...centre); actor.setScale(...m.half) }
    }
    const mapper = C.vtkMapper.newInstance()
    mapper.setInputConnection(source.getOutputPort())
    actor.setMapper(mapper)
    const hex = m.colour.replace("#", "")
    const rgb = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    actor.getProperty().setColor(...rgb)
    actor.getProperty().setOpacity(m.opacity)
    actor.setPickable(false)
    return actor
  }

  function applyMarkers(markers) {
    clearMarkers()
    for (const m of markers) {
      const a = markerActor(m)
      renderer().addActor(a)
      st.markerActors.push(a)
    }
  }

  // ---- labels: HTML over the canvas, re-projected when the camera moves
  function project(xyz) {
    const gl = rw().getOpenGLRenderWindow()
    const size = gl.getSize()
    const rect = rw().getContainer().getBoundingClientRect()
    const d = gl.worldToDisplay(xyz[0], xyz[1], xyz[2], renderer())
    const sx = rect.width / size[0], sy = rect.height / size[1]
    return { x: d[0] * sx, y: rect.height - d[1] * sy, depth: d[2], rect }
  }

  function placeLabels() {
    overlay.replaceChildren()
    if (!st.ready || !st.labels.length) return
    const placed = []
    for (const lab of st.labels) {
      const p = project(lab.position)
      if (p.depth < 0 || p.depth > 1 || p.x < 0 || p.y < 0 || p.x > p.rect.width || p.y > p.rect.height) continue
      let y = p.y - 14
      for (const q of placed) if (Math.abs(q.x - p.x) < 60 && Math.abs(q.y - y) < 20) y = q.y + 20
      placed.push({ x: p.x, y })
      const div = document.createElement("div")
      div.className = "tsv-label"
      div.textContent = lab.text
      div.style.left = `${p.x}px`
      div.style.top = `${y}px`
      div.style.borderColor = lab.colour
      overlay.append(div)
    }
  }

  function watchCamera() {
    if (st.cameraSub) st.cameraSub.unsubscribe()
    st.cameraSub = renderer().getActiveCamera().onModified(() => placeLabels())
  }

  // ---- messages from Python
  function handle(msg) {
    if (!st.ready) { st.pending.push(msg); return }
    const t0 = performance.now()
    batch(() => {
      if (msg.styles) applyStyles(msg.styles)
      if (msg.camera) applyCamera(msg.camera)
      if (msg.markers) applyMarkers(msg.markers)
      if (msg.labels) st.labels = msg.labels
    })
    if (msg.camera && paneView()._get_camera_state) paneView()._get_camera_state()
    st.applyMs = performance.now() - t0
    st.seq = Math.max(st.seq, msg.seq || 0)
    el.dataset.seq = String(st.seq)
  }
  model.on("msg:custom", handle)

  // ---- picking
  const picker = vtk.Rendering.Core.vtkCellPicker.newInstance()
  picker.setTolerance(0)
  let down = null

  function pickAt(clientX, clientY) {
    const t0 = performance.now()
    const gl = rw().getOpenGLRenderWindow()
    const size = gl.getSize()
    const rect = rw().getContainer().getBoundingClientRect()
    const x = (clientX - rect.left) * size[0] / rect.width
    const y = size[1] - (clientY - rect.top) * size[1] / rect.height
    picker.pick([x, y, 0], renderer())
    const hits = picker.getActors().filter((a) => sidOf(a))
    const hit = hits.find((a) => a.getProperty().getOpacity() >= OPAQUE_ENOUGH) || hits[0] || null
    st.pickMs = performance.now() - t0
    const sid = hit ? sidOf(hit) : null
    st.lastPick = sid
    return sid
  }

  stage.addEventListener("pointerdown", (e) => {
    down = e.button === 0 ? { x: e.clientX, y: e.clientY, t: performance.now() } : null
  }, true)
  stage.addEventListener("pointerup", (e) => {
    if (!down || !st.ready) return
    const moved = Math.hypot(e.clientX - down.x, e.clientY - down.y)
    const quick = performance.now() - down.t < CLICK_MAX_MS
    down = null
    if (moved > CLICK_SLOP_PX || !quick) return
    const sid = pickAt(e.clientX, e.clientY)
    model.send_msg({ type: "pick", id: sid, ms: Math.round(st.pickMs) })
    el.dataset.picked = sid || ""
  }, true)

  // ---- readiness: the pane builds its vtk.js scene asynchronously
  const timer = setInterval(() => {
    const r = rw()
    const pv = data.pane && paneView()
    const first = Object.values(ids())[0]
    if (!r || !pv || !pv._renderable || !r.getRenderer() || !first || !ctx().getInstance(first)) return
    clearInterval(timer)
    performance.mark("tsv-ready")
    st.ready = true
    el.dataset.ready = "1"
    watchCamera()
    new ResizeObserver(() => placeLabels()).observe(stage)
    const queued = st.pending.splice(0)
    for (const msg of queued) handle(msg)
    model.send_msg({ type: "ready" })
  }, POLL_MS)

  // ---- small API for notebooks, debugging and browser tests
  const api = {
    get ready() { return st.ready },
    get seq() { return st.seq },
    get renders() { return st.renders },
    get pickMs() { return st.pickMs },
    get applyMs() { return st.applyMs },
    get lastPick() { return st.lastPick },
    get labels() { return Array.from(overlay.children).map((d) => d.textContent) },
    style(sid) {
      const a = actorOf(sid)
      if (!a) return null
      return [...a.getProperty().getColor(), a.getProperty().getOpacity(), a.getVisibility()]
    },
    // Page coordinates of the surface points of a structure that picking
    // resolves to that structure (first `limit` found).
    probe(sid, limit = 1) {
      const a = actorOf(sid)
      if (!a || !a.getVisibility()) return []
      const pts = a.getMapper().getInputData().getPoints().getData()
      const n = pts.length / 3
      const out = []
      const step = Math.max(1, Math.floor(n / 300))
      for (let i = 0; i < n && out.length < limit; i += step) {
        const p = project([pts[3 * i], pts[3 * i + 1], pts[3 * i + 2]])
        // keep only points well inside the structure's silhouette (robust to rounding)
        const cx = Math.round(p.rect.left + p.x), cy = Math.round(p.rect.top + p.y)
        if (cx < p.rect.left + 4 || cy < p.rect.top + 4 || cx > p.rect.right - 4 || cy > p.rect.bottom - 4) continue
        const around = [[0, 0], [3, 0], [-3, 0], [0, 3], [0, -3]]
        if (around.every(([dx, dy]) => pickAt(cx + dx, cy + dy) === sid)) out.push([cx, cy])
      }
      return out
    },
    project(xyz) { const p = project(xyz); return [p.rect.left + p.x, p.rect.top + p.y] },
  }
  window.tsvBridges = window.tsvBridges || []
  window.tsvBridges.push(api)
  el.tsv = api

  model.on("remove", () => {
    clearInterval(timer)
    if (st.cameraSub) st.cameraSub.unsubscribe()
    window.tsvBridges = (window.tsvBridges || []).filter((b) => b !== api)
  })
}
