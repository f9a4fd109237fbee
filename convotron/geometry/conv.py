r"""Convolution layers as patch schemes, with the deep-learning frameworks' semantics.

A user usually comes with a layer of their own network, not with ``n = (k-1) d + r``. This
module reads the layer in PyTorch's terms (``torch.nn.Conv1d`` / ``torch.nn.Conv2d``, one
output channel, no bias) and builds the :class:`~convotron.geometry.patches.PatchScheme` of the
model ``f_w(x) = (1/k) Σ_i σ(wᵀ P_i x)`` whose patches are the layer's receptive fields.

Spec grammar (kind case-insensitive, spaces ignored)::

    conv1d:C,L,K[,stride=S][,padding=P|same|valid][,dilation=D]
    conv2d:C,H,W,KH,KW[,stride=S|SHxSW][,padding=P|PHxPW|same|valid][,dilation=D|DHxDW]

``C`` input channels (a patch spans all of them), ``L`` (or ``H x W``) the **unpadded** input
size, ``K`` (``KH x KW``) the kernel size; defaults stride 1, padding 0, dilation 1.

Semantics (the frameworks', [paper] model with a [derived] padding extension):

* **Output size** per axis, with floor (the last input coordinates may go unread):
  ``k_axis = floor((L + P_lo + P_hi − D (K − 1) − 1) / S) + 1``, ``k = k_h k_w``.
* **Flattening**: channel-major ``c * L + x`` (1D) and ``c * H * W + y * W + x`` (2D), as
  the ``2d:C,...`` form; patches ordered row-major over output positions; inside a patch
  the filter position runs over ``(c, dy, dx)`` row-major, so the learned filter reshapes
  to PyTorch's weight layout ``(1, C, K)`` / ``(1, C, KH, KW)`` with ``w.reshape(...)``.
* **Padding** is zeros on each side. ``same`` (stride 1 only, as in PyTorch) pads
  ``D (K − 1)`` in total, ``floor`` of half before and the rest after (the extra zero goes
  to the right / bottom when the total is odd, as PyTorch does); ``valid`` is 0.
* **Zero padding is modelled faithfully**: filter position ``a`` of patch ``i`` that falls
  on a padded zero reads nothing, so row ``a`` of :math:`P_i` is zero
  (:math:`P_i P_i^\top \preceq I`, not ``= I``). In ``PatchScheme.indices`` such a position
  holds the sentinel ``-1`` (:data:`convotron.geometry.patches.PAD`).

A [derived] consequence used by the theory (``book/conv.md``): a padded layer is the unpadded
layer on the padded input ``x̃ = E x`` (``E`` the zero-embedding), so
:math:`M = \tilde P (E\Sigma E^\top) \tilde P^\top \preceq \lambda_{\max}(\Sigma)\,
\tilde P\tilde P^\top`.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import numpy as np

from .._errors import ConvotronError
from .._limits import check_index_entries

__all__ = ["CONV_GRAMMAR", "ConvLayout", "conv1d", "conv2d", "conv_output_size", "parse_conv_spec"]

#: The grammar of the conv forms, quoted in every refusal of a malformed conv spec.
CONV_GRAMMAR = (
    "conv1d:C,L,K[,stride=S][,padding=P|same|valid][,dilation=D] or "
    "conv2d:C,H,W,KH,KW[,stride=S|SHxSW][,padding=P|PHxPW|same|valid][,dilation=D|DHxDW] "
    "(C input channels, L or HxW the unpadded input size, K or KHxKW the kernel; "
    "e.g. conv1d:1,33,5,stride=3 or conv2d:3,32,32,5,5,stride=2,padding=2)"
)

_NUM = re.compile(r"[0-9]{1,9}")


def conv_output_size(size: int, kernel: int, stride: int, pad_lo: int, pad_hi: int,
                     dilation: int) -> int:  # fmt: skip
    """Return PyTorch's output size ``floor((size + lo + hi − D(K−1) − 1)/S) + 1`` (may be <= 0)."""
    return (size + pad_lo + pad_hi - dilation * (kernel - 1) - 1) // stride + 1


def _bad(spec: str, why: str) -> ConvotronError:
    return ConvotronError(f"malformed conv spec {spec!r}: {why}. The grammar is {CONV_GRAMMAR}.")


def _int(spec: str, text: str, name: str, minimum: int) -> int:
    if not _NUM.fullmatch(text):
        raise _bad(spec, f"{name} must be a whole number >= {minimum}; got {text!r}")
    v = int(text)
    if v < minimum:
        raise _bad(spec, f"{name} must be >= {minimum}; got {v}")
    return v


def _pair(spec: str, text: str, name: str, minimum: int, dims: int) -> tuple[int, ...]:
    parts = text.split("x") if dims == 2 else [text]
    if dims == 2 and len(parts) == 1:
        parts = parts * 2
    if len(parts) != dims:
        form = f"{name}=N" + (f" or {name}=NxM" if dims == 2 else "")
        raise _bad(spec, f"{name} must be written {form}; got {name}={text!r}")
    return tuple(_int(spec, p, name, minimum) for p in parts)


def _axis(spec: str, label: str, size: int, kernel: int, stride: int, pad: Any,
          dilation: int) -> tuple[int, int, int]:  # fmt: skip
    """Return ``(pad_lo, pad_hi, k_axis)`` for one axis, refusing an empty output."""
    if pad == "same":
        if stride != 1:
            raise _bad(spec, f"padding=same needs stride 1 (as in PyTorch); got stride {stride}")
        total = dilation * (kernel - 1)
        lo, hi = total // 2, total - total // 2
    else:
        lo = hi = int(pad)
    k = conv_output_size(size, kernel, stride, lo, hi, dilation)
    if k < 1:
        raise ConvotronError(
            f"the conv layer {spec!r} has no output{label}: the dilated kernel spans "
            f"D*(K-1)+1 = {dilation * (kernel - 1) + 1} but the padded input has "
            f"{size + lo + hi} coordinates (size {size} + padding {lo}+{hi}). Use a smaller "
            "kernel or dilation, or more padding."
        )
    return lo, hi, k


class ConvLayout(NamedTuple):
    """What a conv layer reads: ``PatchScheme``'s fields.

    ``n`` inputs, the ``(k, r)`` indices (``-1``: padding), the canonical spec and the
    geometry; :func:`~convotron.geometry.patches.parse_spec` builds the scheme, so this module does
    not import :mod:`convotron.geometry.patches`.
    """

    n: int
    indices: np.ndarray
    spec: str
    geometry: dict[str, Any]


def _axis_coords(size: int, kernel: int, stride: int, lo: int, dilation: int,
                 k: int) -> np.ndarray:  # fmt: skip
    """``(k, kernel)`` input coordinates of one axis, ``-1`` where the read falls on padding."""
    pos = stride * np.arange(k, dtype=np.int64)[:, None] + dilation * np.arange(kernel)[None, :]
    pos = pos - lo
    return np.where((pos >= 0) & (pos < size), pos, -1)


def conv1d(channels: int, length: int, kernel: int, stride: int = 1, padding: Any = 0,
           dilation: int = 1, *, spec: str | None = None) -> ConvLayout:  # fmt: skip
    """Build the scheme of ``torch.nn.Conv1d(C, 1, K, stride, padding, dilation)`` on ``(C, L)``.

    ``padding`` is an int, ``"same"`` or ``"valid"``. See the module docstring.
    """
    spec = spec or _canonical_1d(channels, length, kernel, stride, padding, dilation)
    pad = 0 if padding == "valid" else padding
    lo, hi, k = _axis(spec, "", length, kernel, stride, pad, dilation)
    coords = _axis_coords(length, kernel, stride, lo, dilation, k)  # (k, K)
    r = channels * kernel
    check_index_entries(k, r)
    n = channels * length
    ch = (np.arange(channels, dtype=np.int64) * length)[None, :, None]
    idx = np.where(coords[:, None, :] >= 0, ch + coords[:, None, :], -1).reshape(k, r)
    geometry = {
        "kind": "conv1d", "channels": channels, "length": length, "kernel": kernel,
        "stride": stride, "pad_left": lo, "pad_right": hi, "dilation": dilation, "k": k,
    }  # fmt: skip
    return ConvLayout(n, idx, spec, geometry)


def conv2d(channels: int, height: int, width: int, kernel_h: int, kernel_w: int,
           stride: tuple[int, int] = (1, 1), padding: Any = (0, 0),
           dilation: tuple[int, int] = (1, 1), *,
           spec: str | None = None) -> ConvLayout:  # fmt: skip
    """Build the patch scheme of ``torch.nn.Conv2d(C, 1, (KH, KW), ...)`` on ``(C, H, W)``.

    ``stride``, ``dilation``: pairs ``(vertical, horizontal)``; ``padding``: a pair,
    ``"same"`` or ``"valid"``. See the module docstring.
    """
    spec = spec or _canonical_2d(
        channels, height, width, kernel_h, kernel_w, stride, padding, dilation
    )
    if padding == "valid":
        padding = (0, 0)
    pads = ("same", "same") if padding == "same" else padding
    top, bottom, kh = _axis(spec, " (vertical axis)", height, kernel_h, stride[0], pads[0],
                            dilation[0])  # fmt: skip
    left, right, kw = _axis(spec, " (horizontal axis)", width, kernel_w, stride[1], pads[1],
                            dilation[1])  # fmt: skip
    ys = _axis_coords(height, kernel_h, stride[0], top, dilation[0], kh)  # (kh, KH)
    xs = _axis_coords(width, kernel_w, stride[1], left, dilation[1], kw)  # (kw, KW)
    k, r = kh * kw, channels * kernel_h * kernel_w
    check_index_entries(k, r)
    # patch (py, px), position (c, dy, dx)
    y = ys[:, None, None, :, None]
    x = xs[None, :, None, None, :]
    c = (np.arange(channels, dtype=np.int64) * height * width)[None, None, :, None, None]
    idx = np.where((y >= 0) & (x >= 0), c + y * width + x, -1).reshape(k, r)
    geometry = {
        "kind": "conv2d", "channels": channels, "height": height, "width": width,
        "kernel_h": kernel_h, "kernel_w": kernel_w, "stride_h": stride[0],
        "stride_w": stride[1], "pad_top": top, "pad_bottom": bottom, "pad_left": left,
        "pad_right": right, "dilation_h": dilation[0], "dilation_w": dilation[1],
        "k_h": kh, "k_w": kw,
    }  # fmt: skip
    return ConvLayout(channels * height * width, idx, spec, geometry)


def _fmt(v: Any) -> str:
    if isinstance(v, tuple):
        return str(v[0]) if v[0] == v[1] else f"{v[0]}x{v[1]}"
    return str(v)


def _canonical_1d(c: int, n: int, kk: int, s: int, p: Any, d: int) -> str:
    out = f"conv1d:{c},{n},{kk}"
    out += f",stride={s}" if s != 1 else ""
    out += f",padding={p}" if p not in (0, "valid") else ""
    return out + (f",dilation={d}" if d != 1 else "")


def _canonical_2d(c: int, h: int, w: int, kh: int, kw: int, s: Any, p: Any, d: Any) -> str:
    out = f"conv2d:{c},{h},{w},{kh},{kw}"
    out += f",stride={_fmt(tuple(s))}" if tuple(s) != (1, 1) else ""
    if p not in ("valid", (0, 0)):
        out += f",padding={_fmt(p) if p == 'same' else _fmt(tuple(p))}"
    return out + (f",dilation={_fmt(tuple(d))}" if tuple(d) != (1, 1) else "")


def parse_conv_spec(spec: str) -> ConvLayout:
    """Parse ``conv1d:...`` / ``conv2d:...`` (see :data:`CONV_GRAMMAR`) into a :class:`ConvLayout`.

    Raises
    ------
    ConvotronError
        For a malformed spec (the message quotes the grammar) or a layer with no output.
    """
    text = "".join(spec.split())
    kind, _, body = text.partition(":")
    kind = kind.lower()
    dims = {"conv1d": 1, "conv2d": 2}.get(kind)
    if dims is None:
        raise _bad(spec, f"unknown kind {kind!r}")
    parts = body.split(",") if body else []
    npos = 3 if dims == 1 else 5
    positional = [p for p in parts if "=" not in p]
    options = [p for p in parts if "=" in p]
    if len(positional) != npos or parts[:npos] != positional:
        names = "C,L,K" if dims == 1 else "C,H,W,KH,KW"
        raise _bad(spec, f"{kind} needs {npos} whole numbers {names} first, then options")
    names1 = ("C", "L", "K") if dims == 1 else ("C", "H", "W", "KH", "KW")
    vals = [_int(spec, p, nm, 1) for p, nm in zip(positional, names1, strict=True)]
    opts: dict[str, str] = {}
    for item in options:
        key, _, value = item.partition("=")
        key = key.lower()
        if key not in ("stride", "padding", "dilation"):
            raise _bad(spec, f"unknown option {key!r} (options: stride, padding, dilation)")
        if key in opts:
            raise _bad(spec, f"option {key!r} given twice")
        opts[key] = value.lower()
    stride = _pair(spec, opts.get("stride", "1"), "stride", 1, dims)
    dilation = _pair(spec, opts.get("dilation", "1"), "dilation", 1, dims)
    ptext = opts.get("padding", "0")
    padding: Any = ptext if ptext in ("same", "valid") else _pair(spec, ptext, "padding", 0, dims)
    if dims == 1:
        c, n, kk = vals
        pad1 = padding if isinstance(padding, str) else padding[0]
        canon = _canonical_1d(c, n, kk, stride[0], pad1, dilation[0])
        return conv1d(c, n, kk, stride[0], pad1, dilation[0], spec=canon)
    c, h, w, kh, kw = vals
    canon = _canonical_2d(c, h, w, kh, kw, stride, padding, dilation)
    return conv2d(c, h, w, kh, kw, stride, padding, dilation, spec=canon)  # type: ignore[arg-type]


def filter_shape(scheme: Any) -> tuple[int, ...]:
    """Return the filter's shape in the frameworks' weight layout ``(out=1, C, *kernel)``.

    ``conv1d`` and ``1d``: ``(1, C, K)``; ``conv2d``, ``2d`` and ``2d:C,...``: ``(1, C, KH,
    KW)``; an arbitrary index scheme (``file:``, ``from_indices``): ``(1, r)``. The filter
    ``w`` of length ``r`` reshapes to it with ``w.reshape(shape)`` (C order), because a patch
    reads its positions in ``(c, dy, dx)`` order.
    """
    g = scheme.geometry or {}
    kind = g.get("kind")
    if kind == "conv1d":
        return (1, g["channels"], g["kernel"])
    if kind == "1d":
        return (1, 1, g["r"])
    if kind == "conv2d":
        return (1, g["channels"], g["kernel_h"], g["kernel_w"])
    if kind in ("2d", "2d-channels"):
        return (1, g.get("channels", 1), g["patch_h"], g["patch_w"])
    return (1, int(scheme.r))


def check_filter_path(path: str) -> Any:
    """Validate ``--save-filter PATH`` before any work: a new ``.npy`` or ``.npz`` file."""
    from .._io import check_output_path

    if not str(path).lower().endswith((".npy", ".npz")):
        raise ConvotronError(
            f"--save-filter must name a .npy or .npz file; got {path!r}. Use e.g. "
            "--save-filter filter.npz (it holds 'weight' and, when known, 'w_star')."
        )
    return check_output_path(path, what="--save-filter file")


def save_filter(path: Any, w: Any, shape: tuple[int, ...], w_star: Any = None) -> None:
    """Write the filter reshaped to ``shape`` (atomically).

    ``.npy``: the learned filter alone; ``.npz``: ``weight`` and, when known, ``w_star``, both
    of that shape, loadable as is into e.g. ``torch.nn.Conv1d(C, 1, K, bias=False).weight``.
    """
    from .._io import atomic_write

    arrays = {"weight": np.asarray(w, dtype=np.float64).reshape(shape)}
    if w_star is not None:
        arrays["w_star"] = np.asarray(w_star, dtype=np.float64).reshape(shape)
    if str(path).lower().endswith(".npy"):
        atomic_write(path, lambda fh: np.save(fh, arrays["weight"]))
    else:
        atomic_write(path, lambda fh: np.savez(fh, **arrays))  # type: ignore[arg-type]
