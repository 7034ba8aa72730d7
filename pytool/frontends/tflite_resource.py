"""Resource variables (what the TF converter writes for tf.Variable state):
VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE and the CALL_ONCE that runs the
variables' init subgraph.

Each resource (its shared_name) becomes one state tensor of the graph
(g.meta["variables"], the machinery of SVDF / LSTM state): persistent in the
arena, kept across invokes. VAR_HANDLE disappears; READ_VARIABLE copies the
state into its output, ASSIGN_VARIABLE copies a value into the state.
CALL_ONCE's init subgraph is constant-folded here into the state's initial
value (what odl_init puts in the arena) and stays a CALL_ONCE op that runs
the folded subgraph (usually constant ASSIGN_VARIABLEs) at the first invoke. TFLite Micro's Reset does not run
CALL_ONCE again: it fills each resource with one byte, the zero point of the
first assigned tensor (0 when unquantized), so odl_reset_state does the same
(g.meta["resource_fill"]).
"""

from __future__ import annotations

import numpy as np
import tflite

from pytool.frontends.errors import ModelError
from pytool.frontends.fold import fold_constants
from pytool.frontends.tflite import builtin_options
from pytool.ir import Graph, Op, Tensor

OPS = frozenset({"CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"})
# Resolved while reading (no op of their own at run time): listed in the README's ops table.
READ_TIME_OPS = ("VAR_HANDLE", "DECODE")  # DECODE (TFLM_DECODE): folded by tflite_decode.py


def _text(b) -> str:
    return b.decode("utf-8", "replace") if isinstance(b, bytes | bytearray) else (b or "")


class _NotConstant(Exception):
    """An init subgraph that reads a variable: it cannot be folded."""


class Resources:
    """What the reader learns about resources over all subgraphs of one model."""

    def __init__(self, path: str, reader) -> None:
        self.path, self.reader = path, reader
        self.handles: dict[str, str] = {}  # resource tensor name -> shared_name
        self.state: dict[str, str] = {}  # shared_name -> state tensor name
        self.fill: dict[str, int] = {}  # shared_name -> reset byte (main graph's first assignment)
        self.init_fill: dict[str, int] = {}  # ... from init subgraphs (TFLite Micro prepares them later)
        self.init: dict[str, tuple[np.ndarray, str]] = {}  # shared_name -> (initial value, what set it)
        self.collecting: list | None = None  # ASSIGN_VARIABLEs of the init subgraph being folded
        self.init_depth = 0  # > 0 while an init subgraph is read (its assignments come later in prepare order)

    def read_op(self, g: Graph, fb_op, op_type: str, ins: list[str], outs: list[str], ctx) -> Op | None:
        if op_type == "VAR_HANDLE":
            o = builtin_options(fb_op, tflite.VarHandleOptions)
            name = _text(o.SharedName()) if o is not None else ""
            if not name or len(outs) != 1:
                raise ctx.error("VAR_HANDLE needs a shared_name and one output")
            self.handles[outs[0]] = name
            return None
        if op_type == "CALL_ONCE":
            o = builtin_options(fb_op, tflite.CallOnceOptions)
            if o is None:
                raise ctx.error("CallOnceOptions are missing")
            return self._run_init(g, int(o.InitSubgraphIndex()), ctx)
        if not ins:
            raise ctx.error("the resource input is missing")
        key = self.handles.get(ins[0])
        if key is None:
            raise ctx.error(f"input '{ins[0]}' is not the output of a VAR_HANDLE in this subgraph")
        if op_type == "READ_VARIABLE":
            if len(outs) != 1:
                raise ctx.error("READ_VARIABLE needs one output")
            if self.collecting is not None:  # cannot fold: the runtime CALL_ONCE will run it
                raise _NotConstant(key)
            return Op("READ_VARIABLE", [self._state(g, key, outs[0], ctx)], outs, {}, ctx.name)
        if len(ins) != 2 or outs:
            raise ctx.error("ASSIGN_VARIABLE needs a resource and a value input and no output")
        value = g.tensors[ins[1]]
        fill = int(value.quant.zero_point[0]) & 0xFF if value.quant is not None else 0
        (self.init_fill if self.init_depth else self.fill).setdefault(key, fill)
        if self.collecting is not None:
            self.collecting.append((key, ins[1], ctx))
            return None
        return Op("ASSIGN_VARIABLE", [ins[1], self._state(g, key, ins[1], ctx)], [], {}, ctx.name)

    def _state(self, g: Graph, key: str, like: str, ctx) -> str:
        t = g.tensors[like]
        if key not in self.state:
            name = g.unique_name(f"variable:{key}")
            g.add_tensor(Tensor(name, t.shape, t.dtype, quant=t.quant))
            g.meta.setdefault("variables", {})[name] = np.zeros(t.shape, t.np_dtype)
            self.state[key] = name
        st = g.tensors[self.state[key]]
        if (st.dtype, st.numel) != (t.dtype, t.numel):
            raise ctx.error(f"variable '{key}' is {st.dtype}{list(st.shape)} but '{like}' is {t.dtype}{list(t.shape)}")
        return st.name

    def _run_init(self, g: Graph, k: int, ctx) -> Op:
        """Init subgraph k becomes a CALL_ONCE op running it as a subgraph at the
        first invoke after odl_init, as TFLite Micro runs it: a reset before that
        invoke does not skip it, one after it does not repeat it (its flag is
        kept by odl_reset_state, which fills the resources instead). The
        subgraph is constant-folded, so usually only ASSIGN_VARIABLEs of
        constants are left; those constants are also the state's initial value
        at odl_init."""
        if k == 0:
            raise ctx.error("CALL_ONCE calls the main subgraph")
        if self.init_depth:
            raise ctx.error("CALL_ONCE inside an init subgraph is not supported")
        self.init_depth += 1
        try:
            self._fold_init(k)
            sub = g.subgraph(k, f"init{k}")
            self.reader.finish_graph(sub, self.reader.read_subgraph(k, sub), k)
        finally:
            self.init_depth -= 1
        if sub.inputs or sub.outputs:
            raise ctx.error(f"CALL_ONCE's init subgraph #{k} has inputs or outputs")
        flag = g.unique_name(f"call_once:{k}")
        g.add_tensor(Tensor(flag, (1,), "uint8"))
        g.meta.setdefault("variables", {})[flag] = np.zeros(1, np.uint8)
        g.meta.setdefault("keep_on_reset", {})[flag] = True
        return Op("CALL_ONCE", [flag], [], {"init": k}, ctx.name)

    def _fold_init(self, k: int) -> bool:
        """Reads init subgraph k into a graph of its own and folds it; True (and the
        initial values kept) when every value it assigns is then a constant."""
        init = Graph(name=f"subgraph{k}", source=self.path)
        init.meta["format"] = "tflite"
        self.collecting = []
        try:
            self.reader.read_subgraph(k, init)
            fold_constants(init)
            values = {}
            for key, value, _ in self.collecting:
                t = init.tensors[value]
                if not t.is_const:
                    return False
                values[key] = (np.array(t.data), f"subgraph #{k}")
        except _NotConstant:
            return False
        finally:
            self.collecting = None
        self.init.update(values)
        return True

    def finish(self, g: Graph) -> None:
        """Sets each state tensor's initial value (CALL_ONCE's, else the reset fill)."""
        for key, name in self.state.items():
            t = g.tensors[name]
            fill = self.fill.get(key, self.init_fill.get(key, 0))
            if key in self.init:
                value, where = self.init[key]
                if value.dtype != t.np_dtype or value.size != t.numel:
                    raise ModelError(self.path, f"variable '{key}': {where} assigns {value.dtype}{list(value.shape)}, "
                                     f"the model uses it as {t.dtype}{list(t.shape)}")
                initial = value.reshape(t.shape)
            else:  # never assigned by CALL_ONCE: TFLite Micro's allocation fill
                initial = np.frombuffer(bytes([fill]) * t.nbytes, t.np_dtype).reshape(t.shape)
            g.meta["variables"][name] = np.array(initial)
            g.meta.setdefault("resource_fill", {})[name] = fill
