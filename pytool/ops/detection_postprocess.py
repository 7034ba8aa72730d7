"""TFLite_Detection_PostProcess (custom op, float32), as TFLite Micro computes it.

IR: inputs [box encodings [1, N, >=4] (y, x, h, w), class scores [1, N,
K] (K = num_classes, +1 with a background column first), anchors const [N, 4]
(y, x, h, w)]; outputs [boxes [1, D, 4], classes [1, D], scores [1, D],
num_detections [1], scratch int32 (added by the reader: the kernel's working
memory, planned in the arena, dead after the op)]. attrs from the flexbuffer
custom options: max_detections, max_classes_per_detection,
detections_per_class (default 100), use_regular_nms (default false),
nms_score_threshold, nms_iou_threshold, num_classes, y/x/h/w_scale.

Decoding runs in double and rounds each coordinate to float; NMS keeps boxes
with score >= threshold, sorted by score (ties: lower position first), and
drops later boxes whose IoU with a kept one exceeds the threshold. Fast NMS
ranks each anchor by its best class and writes max_classes_per_detection
classes per kept anchor (TFLite Micro's output index); regular NMS runs per
class and keeps the best max_detections overall, zero-filling the rest.

C: params [max_detections, max_classes_per_detection, detections_per_class,
use_regular_nms, num_classes, score_threshold, iou_threshold, y_scale,
x_scale, h_scale, w_scale] (floats as bits).
"""

from __future__ import annotations

import math

import numpy as np

from pytool.ir import Graph, IRError, Op, Tensor
from pytool.ops import Lowered
from pytool.ops.quantize import float_bits

OPCODE = 91
TYPES = ("float32",)
TYPE = "CUSTOM:TFLite_Detection_PostProcess"
F = np.float32
_INT_KEYS = ("max_detections", "max_classes_per_detection", "detections_per_class", "num_classes")
_FLOAT_KEYS = ("nms_score_threshold", "nms_iou_threshold", "y_scale", "x_scale", "h_scale", "w_scale")


def read_attrs(g: Graph, op: Op, custom: bytes) -> None:
    """The flexbuffer options, and the scratch output the kernel works in."""
    from flatbuffers import flexbuffers

    try:
        m = flexbuffers.Loads(bytes(custom)) if custom else {}
    except Exception as e:  # noqa: BLE001 - any decoding failure is a model error
        raise IRError(f"{TYPE} '{op.name}': custom options are not a flexbuffer map ({e})") from None
    if not isinstance(m, dict):
        raise IRError(f"{TYPE} '{op.name}': custom options are not a flexbuffer map")
    missing = [k for k in ("max_detections", "max_classes_per_detection", "num_classes", *_FLOAT_KEYS) if k not in m]
    if missing:
        raise IRError(f"{TYPE} '{op.name}': custom options lack {', '.join(missing)}")
    op.attrs = {k: int(m[k]) for k in _INT_KEYS if k in m}
    op.attrs.setdefault("detections_per_class", 100)
    op.attrs["use_regular_nms"] = bool(m.get("use_regular_nms", False))
    op.attrs.update({k: float(F(m[k])) for k in _FLOAT_KEYS})
    if len(op.inputs) != 3 or len(op.outputs) != 4:
        raise IRError(f"{TYPE} '{op.name}': needs 3 inputs and 4 outputs, got {len(op.inputs)} and {len(op.outputs)}")
    n = g.tensors[op.inputs[0]].shape[1] if len(g.tensors[op.inputs[0]].shape) == 3 else 0
    name = f"{op.outputs[0]}/nms_scratch"
    g.tensors[name] = Tensor(name, (scratch_words(n, op.attrs),), "int32", None, None)
    op.outputs.append(name)


def scratch_words(n: int, a: dict) -> int:
    ll = a["max_detections"] + a["detections_per_class"]
    per = max(0, min(a["max_classes_per_detection"], a["num_classes"]))
    return max(1, 11 * n + n * per + max(n, ll) + 5 * ll)


def infer_shapes(g: Graph, op: Op) -> list[tuple]:
    return [tuple(g.tensors[n].shape) for n in op.outputs]  # static shapes from the model, as TFLite Micro


def macs(g: Graph, op: Op) -> int:
    return 0


def lower(g: Graph, op: Op) -> Lowered:
    a = op.attrs
    b, s, anc = (g.tensors[n] for n in op.inputs)
    for t in (b, s, anc, *(g.tensors[n] for n in op.outputs[:4])):
        if t.dtype != "float32":
            raise IRError(f"{TYPE} '{op.name}': tensor '{t.name}' is {t.dtype}; TFLite Micro's kernel takes float32")
    if len(b.shape) != 3 or len(s.shape) != 3 or len(anc.shape) != 2 or b.shape[0] != 1 or b.shape[2] < 4:
        raise IRError(f"{TYPE} '{op.name}': needs boxes [1, N, >=4], scores [1, N, K], anchors [N, 4]")
    n = b.shape[1]
    if s.shape[:2] != (1, n) or anc.shape != (n, 4) or not 0 <= s.shape[2] - a["num_classes"] <= 1:
        raise IRError(f"{TYPE} '{op.name}': scores {s.shape} / anchors {anc.shape} do not match {n} boxes "
                      f"and {a['num_classes']} classes")
    if not 0.0 < a["nms_iou_threshold"] <= 1.0:
        raise IRError(f"{TYPE} '{op.name}': nms_iou_threshold {a['nms_iou_threshold']} must be in (0, 1]")
    params = [a["max_detections"], a["max_classes_per_detection"], a["detections_per_class"],
              int(a["use_regular_nms"]), a["num_classes"], *(float_bits(a[k]) for k in _FLOAT_KEYS)]
    return Lowered(inputs=list(op.inputs), params=params)


def _decode(a: dict, boxes: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    out = np.zeros((len(anchors), 4), F)
    ys, xs, hs, ws = (float(F(a[k])) for k in ("y_scale", "x_scale", "h_scale", "w_scale"))
    for i, (bx, an) in enumerate(zip(boxes, anchors)):
        by, bxx, bh, bw = (float(v) for v in bx[:4])
        ay, ax, ah, aw = (float(v) for v in an)
        yc, xc = F(by / ys * ah + ay), F(bxx / xs * aw + ax)
        hh, hw = F(0.5 * math.exp(bh / hs) * ah), F(0.5 * math.exp(bw / ws) * aw)
        out[i] = (F(yc - hh), F(xc - hw), F(yc + hh), F(xc + hw))
    return out


def _iou(d: np.ndarray, i: int, j: int) -> F:
    a, b = d[i], d[j]
    area_i, area_j = F((a[2] - a[0]) * (a[3] - a[1])), F((b[2] - b[0]) * (b[3] - b[1]))
    if area_i <= 0 or area_j <= 0:
        return F(0)
    ih = max(F(min(a[2], b[2]) - max(a[0], b[0])), F(0))
    iw = max(F(min(a[3], b[3]) - max(a[1], b[1])), F(0))
    inter = F(ih * iw)
    return F(inter / F(F(area_i + area_j) - inter))


def _order(v) -> list[int]:
    return sorted(range(len(v)), key=lambda i: (-float(v[i]), i))


def _nms(a: dict, d: np.ndarray, scores: np.ndarray, max_det: int) -> list[int]:
    if np.any(d[:, 0] >= d[:, 2]) or np.any(d[:, 1] >= d[:, 3]):
        raise IRError(f"{TYPE}: a decoded box has ymin >= ymax or xmin >= xmax (TFLite Micro fails too)")
    thr, iou_thr = F(a["nms_score_threshold"]), F(a["nms_iou_threshold"])
    keep = [i for i in range(len(scores)) if scores[i] >= thr]
    order = [keep[k] for k in _order([scores[i] for i in keep])]
    active, selected = [True] * len(order), []
    for i, bi in enumerate(order):
        if len(selected) >= min(len(order), max_det) or not any(active):
            break
        if not active[i]:
            continue
        selected.append(bi)
        active[i] = False
        for j in range(i + 1, len(order)):
            if active[j] and _iou(d, bi, order[j]) > iou_thr:
                active[j] = False
    return selected


def run(a: dict, boxes, scores, anchors, cap: int) -> list[np.ndarray]:
    d = _decode(a, np.asarray(boxes, F).reshape(-1, np.shape(boxes)[-1]), np.asarray(anchors, F))
    s = np.asarray(scores, F)
    s = s.reshape(-1, s.shape[-1])
    nc = a["num_classes"]
    off = s.shape[1] - nc
    ob, ocl, osc = np.zeros((cap, 4), F), np.zeros(cap, F), np.zeros(cap, F)
    if a["use_regular_nms"]:
        idx: list[int] = []
        val: list[F] = []
        for col in range(nc):
            cs = s[:, col + off]
            for sel in _nms(a, d, cs, a["detections_per_class"]):
                idx.append(sel * s.shape[1] + col + off)
                val.append(cs[sel])
            top = _order(val)[: min(len(val), a["max_detections"])]
            idx, val = [idx[k] for k in top], [val[k] for k in top]
        for k, (i, v) in enumerate(zip(idx, val)):
            anchor = i // s.shape[1]
            ob[k], ocl[k], osc[k] = d[anchor], F(i - anchor * s.shape[1] - off), v
        num = len(idx)
    else:
        per = min(a["max_classes_per_detection"], nc)
        top = [_order(s[r, off:])[:per] for r in range(len(s))]
        best = np.array([s[r, off + top[r][0]] for r in range(len(s))], F)
        num = 0
        for sel in _nms(a, d, best, a["max_detections"]):
            for c in range(per):
                k = per * num + c  # TFLite Micro's index (its counter also advances per class)
                if k >= cap:
                    raise IRError(f"{TYPE}: detection {k} does not fit the outputs ({cap})")
                ob[k], ocl[k], osc[k] = d[sel], F(top[sel][c]), s[sel, off + top[sel][c]]
                num += 1
    return [ob, ocl, osc, np.array([num], F)]


def _outputs(g: Graph, op: Op, xs: list) -> list:
    cap = int(np.prod(g.tensors[op.outputs[1]].shape))
    outs = run(op.attrs, xs[0], xs[1], xs[2], cap)
    shapes = [g.tensors[n].shape for n in op.outputs[:4]]
    scratch = np.zeros(g.tensors[op.outputs[4]].shape, np.int32)
    return [o.reshape(sh) for o, sh in zip(outs, shapes)] + [scratch]


def ref_float(g: Graph, op: Op, xs: list) -> list:
    return _outputs(g, op, xs)


def ref_int8(g: Graph, op: Op, low: Lowered, xs: list) -> list:
    return _outputs(g, op, xs)
