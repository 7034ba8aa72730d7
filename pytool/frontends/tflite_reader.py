"""Reads the subgraphs of one .tflite model into the IR (used by tflite.py's
load_tflite): tensors, inputs / outputs and ops of subgraph k, resource ops
through tflite_resource.py, IF / WHILE subgraphs into g.subgraphs (sharing the
main graph's tensor table), then read-time folding and the float32 checks."""

from __future__ import annotations

import tflite

from pytool import ops as opreg
from pytool.frontends import tflite_lstm, tflite_resource
from pytool.frontends.errors import ModelError
from pytool.frontends.fold import FOLD_ONLY, fold_constants
from pytool.frontends.tflite import (
    _ATTRS,
    _decode,
    _ints,
    _no_attrs,
    _op_type,
    _OpContext,
    _read_tensor,
    builtin_options,
)
from pytool.ir import Graph, Op
from pytool.ops import control_flow, f32


class SubgraphReader:
    """Reads subgraphs of one model; subgraph k > 0 (a CALL_ONCE init, IF
    branches, WHILE cond/body) shares the main graph's tensor table."""

    def __init__(self, path: str, data: bytes, model, stage: list[str], strict: bool) -> None:
        self.path, self.data, self.model, self.stage, self.strict = path, data, model, stage, strict
        self.resources = tflite_resource.Resources(path, self)
        self.reading: set[int] = set()  # subgraphs being read (a cycle is refused)

    def read_subgraph(self, k: int, g: Graph) -> dict[int, _OpContext]:
        """Reads subgraph k's tensors, inputs/outputs and ops into g; returns the
        op contexts (for later errors)."""
        path, model, stage = self.path, self.model, self.stage
        if not 0 <= k < model.SubgraphsLength():
            raise ModelError(path, f"subgraph {k} does not exist (the model has {model.SubgraphsLength()})")
        sub = model.Subgraphs(k)
        prefix = f"subgraph #{k} " if k else ""
        names: list[str] = []
        for i in range(sub.TensorsLength()):
            stage[0] = f"{prefix}tensor #{i}"
            t = _read_tensor(path, self.data, model, sub.Tensors(i), i, g)
            g.add_tensor(t)
            names.append(t.name)

        def tname(idx: int) -> str:
            if not 0 <= idx < len(names):
                raise ModelError(path, f"{prefix}tensor index {idx} is out of range "
                                 f"(the subgraph has {len(names)} tensors)")
            return names[idx]

        stage[0] = f"{prefix}the subgraph inputs/outputs"
        g.inputs = [tname(int(i)) for i in _ints(sub.InputsAsNumpy())]
        g.outputs = [tname(int(i)) for i in _ints(sub.OutputsAsNumpy())]
        where: dict[int, _OpContext] = {}
        for i in range(sub.OperatorsLength()):
            stage[0] = f"{prefix}op #{i}"
            op = self._read_op(k, i, sub.Operators(i), tname, g, where)
            if op is not None:
                g.ops.append(op)
        return where

    def finish_graph(self, g: Graph, where: dict[int, _OpContext], k: int = 0) -> None:
        """Read-time folding and the float32 checks of one (sub)graph."""
        stage, strict, prefix = self.stage, self.strict, f"subgraph #{k} " if k else ""
        stage[0] = f"{prefix}constant folding"
        fold_constants(g)
        for op in g.ops:
            if op.type in FOLD_ONLY and op.type not in opreg.MODULES and "_unsupported" not in op.attrs:
                err = where[id(op)].error(f"op type {op.type} is supported only when its inputs are constant "
                                          "(it is folded at compile time)")
                if strict:
                    raise err
                op.attrs["_unsupported"] = str(err)

        stage[0] = f"{prefix}float32 ops"
        for op in g.ops:
            if "_unsupported" not in op.attrs and id(op) in where and (why := f32.unsupported_reason(g, op)):
                if strict:
                    raise where[id(op)].error(why)
                op.attrs["_unsupported"] = str(where[id(op)].error(why))

    def _read_control(self, g: Graph, op: Op, fb_op, ctx: _OpContext) -> None:
        """IF / WHILE: the subgraph indices, and each subgraph read (once) into g.subgraphs."""
        cls = tflite.IfOptions if op.type == "IF" else tflite.WhileOptions
        o = builtin_options(fb_op, cls)
        if o is None:
            raise ctx.error(f"{cls.__name__} are missing")
        ks = (o.ThenSubgraphIndex(), o.ElseSubgraphIndex()) if op.type == "IF" else \
            (o.CondSubgraphIndex(), o.BodySubgraphIndex())
        for a, k in zip(control_flow.SUBGRAPH_ATTRS[op.type], ks):
            op.attrs[a] = k = int(k)
            if k in g.subgraphs:
                continue
            if k == 0 or k in self.reading:
                raise ctx.error(f"its {a} subgraph #{k} calls itself (recursion is not supported)")
            if not 0 < k < self.model.SubgraphsLength():
                raise ctx.error(f"its {a} subgraph #{k} does not exist")
            sub = g.subgraph(k, _decode(self.model.Subgraphs(k).Name()))
            self.reading.add(k)
            try:
                self.finish_graph(sub, self.read_subgraph(k, sub), k)
            finally:
                self.reading.discard(k)

    def _read_op(self, k: int, i: int, fb_op, tname, g: Graph, where: dict) -> Op | None:
        path, model, strict = self.path, self.model, self.strict
        op_type = _op_type(path, model, fb_op, i)
        ins = _ints(fb_op.InputsAsNumpy())
        outs = _ints(fb_op.OutputsAsNumpy())
        out_names = [tname(int(j)) for j in outs]
        ctx = _OpContext(path, i, op_type, out_names[0] if out_names else "", k)
        if op_type in tflite_resource.OPS:
            try:
                return self.resources.read_op(g, fb_op, op_type, [tname(int(j)) for j in ins if j >= 0],
                                              out_names, ctx)
            except ModelError as err:
                if strict:
                    raise
                return Op(op_type, [tname(int(j)) for j in ins if j >= 0], out_names,
                          {"_unsupported": str(err)}, ctx.name)
        if op_type not in opreg.MODULES and op_type not in FOLD_ONLY:
            err = ctx.error(f"op type {op_type} is not supported; supported ops: {', '.join(opreg.MODULES)}")
            if strict:
                raise err
            ins = [j for j in ins if j >= 0]
            return Op(op_type, [tname(int(j)) for j in ins], out_names, {"_unsupported": str(err)}, ctx.name)
        if op_type == "UNIDIRECTIONAL_SEQUENCE_LSTM":
            try:
                ins = tflite_lstm.pack_inputs(ins, ctx)
            except ModelError as err:
                if strict:
                    raise
                ins = [j for j in ins if j >= 0]
                return Op(op_type, [tname(int(j)) for j in ins], out_names, {"_unsupported": str(err)}, ctx.name)
        if op_type == "SVDF" and len(ins) == 5 and ins[3] < 0:
            ins = ins[:3] + ins[4:]  # no bias: the svdf module reads 4 inputs as [x, w_f, w_t, state]
        # Absent optional inputs (-1) may only trail: the IR leaves them off the end.
        while ins and ins[-1] < 0:
            ins = ins[:-1]
        if any(j < 0 for j in ins):
            raise ctx.error(f"an absent optional input in the middle of the input list {list(ins)} is not supported")
        in_names = [tname(int(j)) for j in ins]
        op = Op(op_type, in_names, out_names, {}, name=ctx.name)
        try:
            for n in in_names + out_names:
                if n in g.meta.get("opaque", {}):
                    raise ctx.error(g.meta["opaque"][n])
            _ATTRS.get(op_type, _no_attrs)(g, op, fb_op, ctx)
            if op_type in control_flow.SUBGRAPH_ATTRS:
                self._read_control(g, op, fb_op, ctx)
        except ModelError as err:
            if strict:
                raise
            op.attrs["_unsupported"] = str(err)
        where[id(op)] = ctx
        return op
