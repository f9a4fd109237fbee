r"""A fast, reproducible random stream for compiled loops: xoshiro256++ lanes and a ziggurat.

The draws of the fused loop (:mod:`convotron.learning._sampling`) go through numba's compiled
``numpy.random.Generator`` methods: one indirect call of PCG64's ``next_uint64`` per value,
and a scalar ziggurat. This module is the alternative stream ("fast"): everything inlined,
block generation that LLVM vectorises, and a stream that is a pure function of the seed on
every machine. It is **not** numpy's stream (other numbers, the same laws).

Generator [published]: xoshiro256++ 1.0 (Blackman & Vigna, "Scrambled linear pseudorandom
number generators", ACM TOMS 47, 2021; reference code ``xoshiro256plusplus.c`` at
https://prng.di.unimi.it/). One step of a state :math:`(s_0, s_1, s_2, s_3)` of 64-bit words
outputs :math:`\operatorname{rotl}(s_0 + s_3, 23) + s_0` and then sets
:math:`t = s_1 \ll 17`, :math:`s_2 \mathrel{⊕}= s_0`, :math:`s_3 \mathrel{⊕}= s_1`,
:math:`s_1 \mathrel{⊕}= s_2`, :math:`s_0 \mathrel{⊕}= s_3`, :math:`s_2 \mathrel{⊕}= t`,
:math:`s_3 = \operatorname{rotl}(s_3, 45)` (all modulo :math:`2^{64}`).

Layout of the stream (this is the definition the tests' pure-Python oracle,
:class:`convotron._compiled._rng.ReferenceStream`, implements; reproducible bit for bit):

* **Seeding.** ``seed`` (an ``int >= 0`` or a :class:`numpy.random.SeedSequence`) gives
  ``words = SeedSequence(seed).generate_state(1028, uint64)``; lane ``l``
  (``0 <= l < 256``) starts at ``(s_0..s_3) = words[4l : 4l + 4]`` and the auxiliary
  generator at ``words[1024:1028]`` (a state of four zero words, probability
  :math:`2^{-256}`, is refused). numpy's ``SeedSequence`` hashes the seed identically on
  every platform, so the state is a function of the seed alone.
* **Raw words.** The :data:`LANES` = 256 lanes are 256 independent xoshiro256++ streams; a
  *refill* advances each one step and yields :data:`BLOCK` = 256 words, word ``l`` being
  lane ``l``'s output. Each refill is consumed whole by one of two buffers:
  the **word queue** (uniforms, signs, exponentials: one word each, in order) or the
  **normal block** (below); whichever runs empty first takes the next refill.
* **Normals** (the ziggurat of Marsaglia & Tsang, "The ziggurat method for generating
  random variables", J. Stat. Softw. 5(8), 2000, with :data:`LAYERS` = 1024 layers instead
  of numpy's 256, so that 4x fewer candidates take the slow path:
  :math:`R = 4.0388498461095045`, :math:`v = 0.00122632464635309`, see
  :func:`_ziggurat_tables`). A refill's word :math:`w_i` gives the candidate: layer
  ``idx = w & 1023`` (bits 0-9), sign = bit 10,
  :math:`u = \lfloor w / 2^{12} \rfloor 2^{-52} \in [0, 1)` (its top 52 bits);
  :math:`x = \pm u\,W_{idx}`, accepted when :math:`u < K_{idx}` (99.57% of words; only
  multiplications and comparisons, so every machine gives the same bits). Normal ``i`` of the
  block is that :math:`x`, or, when rejected, the ziggurat's slow path for that candidate,
  drawn from the **auxiliary** generator (a scalar xoshiro256++ stream, one word per uniform
  :math:`(w \gg 11) 2^{-53}`): for ``idx = 0`` Marsaglia's tail
  (:math:`\xi = -\log(1-U_1)/R`, :math:`\upsilon = -\log(1-U_2)` until
  :math:`2\upsilon > \xi^2`, giving :math:`\pm(R + \xi)`), else the wedge test
  (:math:`F_{idx} + U (F_{idx-1} - F_{idx}) < e^{-x^2/2}` keeps :math:`x`), and when that
  fails a complete fresh ziggurat normal of the auxiliary stream. This is exactly the law of
  the textbook loop (its retries are independent, so a failed first try may be replaced by
  an independent complete draw). The slow path (0.43% of normals) calls ``log1p`` and
  ``exp`` of the platform's libm: the same bits wherever libm agrees (glibc on x86-64), and
  at most an ulp of the rare tail values otherwise.
* **Exponentials** :math:`E \sim \mathrm{Exp}(1)` (the exponential ziggurat of Marsaglia &
  Tsang, as numpy's ``random_standard_exponential`` but with :data:`EXP_LAYERS` = 1024
  layers: :math:`R = 9.2561645442655437`, :math:`v = (R + 1) e^{-R}`, see
  :func:`_exp_ziggurat_tables`): one **word-queue** word :math:`w` each, layer
  ``idx = w & 1023`` (bits 0-9), :math:`u = \lfloor w / 2^{12} \rfloor 2^{-52}` (its top 52
  bits), :math:`x = u\,W_{idx}`, accepted when :math:`u < K_{idx}` (99.36% of words;
  multiplications and comparisons only). A rejected word takes the slow path at once, on
  the auxiliary generator: for ``idx = 0`` the tail :math:`R - \log(1 - U)` (``log1p``;
  :math:`R` plus an Exp(1), the exponential forgets), else the wedge test
  (:math:`F_{idx} + U (F_{idx-1} - F_{idx}) < e^{-x}` keeps :math:`x`), and when that
  fails a complete fresh exponential ziggurat draw of the auxiliary stream (as numpy
  retries). libm (``exp``, ``log1p``) only there (0.64% of the words).

Laws drawn from these bits (the standardised laws of :mod:`convotron.data.laws`, other numbers):
``gaussian`` a normal; ``uniform`` :math:`-\sqrt3 + 2\sqrt3\,U` with a word-queue uniform;
``rademacher`` :math:`2b - 1`, the bits of one word-queue word giving 64 signs (bit ``j``
for coordinate ``j`` of a call, a fresh word per call and per 64 coordinates); ``mixture``
:math:`\tau g + \mu (2b - 1)` (the ``n`` normals first, then the signs as ``rademacher``);
``student-t`` with :math:`\nu = 5` as :math:`g_0 \sqrt{3 / \sum_{i=1}^5 g_i^2}` from six
consecutive normals (exactly :math:`t_5 \sqrt{3/5}`: :math:`\sum g_i^2 \sim \chi^2_5`,
no libm); ``exponential`` :math:`E - 1` with an exponential of the word queue (above).
(Before, :math:`(g_1^2 + g_2^2)/2 - 1` from two normals: the same law, other numbers,
2.3x slower per value and 1.6x per update of ``1d:64,8,2``.)

Speed: a refill is one loop over the 256 lanes, which LLVM turns into vector instructions
(SSE2, AVX2 or AVX-512, whatever the machine has: the bits are the same); the
ziggurat's fast path runs over a whole block without branches (the mantissa turned into a
double by setting the exponent bits, no integer-to-float conversion), and only the rejected
words go through the scalar slow path, found 8 at a time (:func:`_refill_block`). The
exponential's fast path is a plain loop per word with a rare branch: a block version like
the normal's (the mantissa trick, gathers, the rejected words compacted) measured 2.4-2.5 ns
per value against 2.0 for 64 values per sample, so it was not kept.
``benchmarks/bench_rng.py`` measures both ziggurats.
"""

from __future__ import annotations

import base64
import math
from decimal import Decimal, localcontext
from typing import Any, NamedTuple

import numpy as np
from numba import njit

from .._codes import LawCode
from .._errors import ConvotronError
from ..data.laws import MIX_MU as _MIX_MU  # the laws' constants, one copy (convotron.data.laws)
from ..data.laws import MIX_TAU as _MIX_TAU
from ..data.laws import SQRT3 as _SQRT3

__all__ = [
    "BLOCK",
    "EXP_LAYERS",
    "LANES",
    "LAW_CODES",
    "LAYERS",
    "FastStream",
    "ReferenceStream",
    "check_fast_law",
    "draw",
    "fast_stream",
    "fill_exponential",
    "fill_mixture",
    "fill_normal",
    "fill_rademacher",
    "fill_student_t",
    "fill_uniform",
    "next_double",
    "next_normal",
    "seed_from_generator",
    "stream_from_generator",
    "xoshiro_reference",
]

#: Independent xoshiro256++ lanes, advanced together one step per refill.
LANES = 256
#: Words per refill (one step of every lane): the size of the normal block and word queue.
BLOCK = LANES

_MASK64 = (1 << 64) - 1


# ------------------------------------------------------------------------ ziggurat tables


#: Layers of the ziggurat, and the constants that close it (see :func:`_ziggurat_tables`).
LAYERS = 1024
_R_TEXT = "4.0388498461095045227144234053"
_V_TEXT = "0.0012263246463530880728853709277"


def _layer_tables(
    layers: int, r: str, v: str, f: Any, f_inv: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the tables ``K, W, F`` of a ziggurat of density ``f`` (decreasing on ``[0, ∞)``).

    ``f_inv`` is the inverse of ``f``; ``r``, ``v`` the decimal texts of :math:`R` and
    :math:`v`. The recursion of :func:`_ziggurat_tables`, in 50-digit decimals.
    """
    with localcontext() as ctx:
        ctx.prec = 50
        two52 = Decimal(2) ** 52
        dn = Decimal(r)
        tn = dn
        vn = Decimal(v)
        top = layers - 1
        q = vn / f(dn)
        ki = [0] * layers
        wi = [Decimal(0)] * layers
        fi = [Decimal(0)] * layers
        ki[0] = int((dn / q) * two52)
        ki[1] = 0
        wi[0] = q
        wi[top] = dn
        fi[0] = Decimal(1)
        fi[top] = f(dn)
        for i in range(top - 1, 0, -1):
            dn = f_inv(vn / dn + f(dn))
            ki[i + 1] = int((dn / tn) * two52)
            tn = dn
            fi[i] = f(dn)
            wi[i] = dn
        K = np.array([float(Decimal(k) / two52) for k in ki])
        W = np.array([float(w) for w in wi])
        F = np.array([float(x) for x in fi])
        return K, W, F


def _ziggurat_tables(
    layers: int = LAYERS, r: str = _R_TEXT, v: str = _V_TEXT
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Return the ziggurat's tables ``K, W, F``, computed in 50-digit decimals.

    Marsaglia & Tsang's set-up (``zigset``) for ``layers`` regions of area :math:`v` each:
    layer edges :math:`x_{N-1} = R`, :math:`x_{i-1} = \sqrt{-2 \log(v/x_i + f(x_i))}`,
    :math:`f(x) = e^{-x^2/2}`; ``K[i] = floor(2^52 x_{i-1}/x_i) 2^{-52}`` (``K[0]`` from the
    base strip of width :math:`q = v / f(R)`, ``K[1] = 0``), ``W[i] = x_i`` (``W[0] = q``),
    ``F[i] = f(x_i)`` (``F[0] = 1``). :math:`R` and :math:`v = R f(R) + \int_R^\infty f` are
    the root of the closure :math:`v / x_1 + f(x_1) = 1` (:math:`x_0 = 0`), solved once by
    bisection in 40-digit arithmetic (mpmath): for 256 layers this gives numpy's
    ``R = 3.6541528853610088`` (``tests/convotron/test_rng.py`` checks both). Every entry is
    rounded once from 50 digits, so the tables are the same bits on every machine; the
    module loads them precomputed (:mod:`convotron._compiled._ziggurat_data`, checked against this
    function bitwise by the tests), as computing 1024 layers here takes about 0.1 s.
    """
    return _layer_tables(
        layers,
        r,
        v,
        lambda x: (-x * x / 2).exp(),
        lambda y: (-2 * y.ln()).sqrt(),
    )


#: Layers of the exponential ziggurat (numpy has 256), and the constants that close it.
EXP_LAYERS = 1024
_ER_TEXT = "9.2561645442655436866975275286232163"
_EV_TEXT = "0.00097967899066202091683632716106386900492"


def _exp_ziggurat_tables(
    layers: int = EXP_LAYERS, r: str = _ER_TEXT, v: str = _EV_TEXT
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Return the exponential ziggurat's tables ``K, W, F``, computed in 50-digit decimals.

    The construction of :func:`_ziggurat_tables` for the density :math:`f(x) = e^{-x}` on
    :math:`[0, \infty)` (Marsaglia & Tsang's ``zigset`` for the exponential; numpy's
    256-layer tables are built the same way): :math:`x_{N-1} = R`,
    :math:`x_{i-1} = -\log(v / x_i + e^{-x_i})`, each region of area
    :math:`v = R e^{-R} + \int_R^\infty e^{-x} dx = (R + 1) e^{-R}`. :math:`R` is the root
    of the closure :math:`v / x_1 + e^{-x_1} = 1` (:math:`x_0 = 0`), solved once by
    bisection in 60-digit decimals (200 halvings of ``[8.5, 9.5]`` for 1024 layers,
    ``R = 9.25616454426554368669752752862321625...``; of ``[7.6, 7.8]`` for 256 layers,
    ``7.69711747013104971404462804801521549911...``, numpy's
    ``ziggurat_exp_r = 7.6971174701310497140446280481`` to its 29 digits: the tests check
    both closures and :math:`v = (R + 1) e^{-R}`). 1024 layers, as for the normal: 0.64% of
    the candidates take the slow path, against 2.2% with 256. Stored precomputed
    (:data:`convotron._compiled._ziggurat_data.EXP_TABLES`, checked bitwise by the tests).
    """
    return _layer_tables(layers, r, v, lambda x: (-x).exp(), lambda y: -y.ln())


def _load_tables(
    name: str = "TABLES", layers: int = LAYERS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from . import _ziggurat_data

    text = getattr(_ziggurat_data, name)
    data = np.frombuffer(base64.b64decode(text), dtype="<f8").reshape(3, layers)
    return data[0].copy(), data[1].copy(), data[2].copy()


_K, _W, _F = _load_tables()
_R = float(_R_TEXT)  # the edge of the last layer, W[LAYERS - 1]
_INV_R = 1.0 / _R
_EK, _EW, _EF = _load_tables("EXP_TABLES", EXP_LAYERS)
_ER = float(_ER_TEXT)  # the exponential's last edge, _EW[EXP_LAYERS - 1]

_ONE_BITS = np.uint64(0x3FF0000000000000)
_USIGN = np.uint64(10)  # the sign bit of a candidate (bits 0-9: its layer)
_U11 = np.uint64(11)
_U12 = np.uint64(12)
_U17 = np.uint64(17)
_U23 = np.uint64(23)
_U41 = np.uint64(41)
_U45 = np.uint64(45)
_U19 = np.uint64(19)
_U1 = np.uint64(1)
_UMASK = np.uint64(LAYERS - 1)
_EMASK = np.uint64(EXP_LAYERS - 1)  # an exponential candidate's layer (bits 0-9)
_TWO_M53 = 2.0**-53


# ------------------------------------------------------------------------ the stream state


class FastStream(NamedTuple):
    """The state of a fast stream (numba accepts it as one argument; arrays are updated in place).

    Attributes
    ----------
    lanes : (4, LANES) uint64
        ``lanes[j, l]`` is word ``s_j`` of lane ``l``.
    aux : (4,) uint64
        The auxiliary generator of the ziggurat's slow path.
    words : (BLOCK,) uint64
        The word queue (``pos[0]`` is the next unread entry).
    normals : (BLOCK,) float64
        The normal block (``pos[1]`` is the next unread entry).
    raw : (BLOCK,) uint64
        Scratch of a normal refill (its raw words).
    mant : (BLOCK,) uint64
        Scratch of a normal refill (the doubles ``1 + u``, as bits).
    flags : (BLOCK,) uint8
        Scratch of a normal refill (1 where the fast path rejected; read 8 at a time as
        ``uint64`` words, so ``BLOCK`` is a multiple of 8).
    pos : (2,) int64
        Read positions; ``BLOCK`` means empty.
    """

    lanes: np.ndarray
    aux: np.ndarray
    words: np.ndarray
    normals: np.ndarray
    raw: np.ndarray
    mant: np.ndarray
    flags: np.ndarray
    pos: np.ndarray


def _seed_words(seed: Any) -> np.ndarray:
    if isinstance(seed, np.random.SeedSequence):
        ss = seed
    elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and int(seed) >= 0:
        ss = np.random.SeedSequence(int(seed))
    else:
        raise ConvotronError(
            f"a fast stream's seed must be an integer >= 0 or a numpy.random.SeedSequence; "
            f"got {seed!r}. Pass e.g. 0."
        )
    words = ss.generate_state(4 * (LANES + 1), np.uint64)
    for g in range(LANES + 1):
        if not words[4 * g : 4 * g + 4].any():  # pragma: no cover - probability 2**-256
            raise ConvotronError(
                f"the seed {seed!r} gives an all-zero xoshiro256++ state (lane {g}), which "
                "would output zeros forever. Pass another seed."
            )
    return words


def fast_stream(seed: Any) -> FastStream:
    """Return a new fast stream seeded as the module docstring says (buffers empty)."""
    words = _seed_words(seed)
    lanes = np.ascontiguousarray(words[: 4 * LANES].reshape(LANES, 4).T)  # lane l: 4l..4l+3
    return FastStream(
        lanes=lanes,
        aux=words[4 * LANES :].copy(),
        words=np.zeros(BLOCK, np.uint64),
        normals=np.zeros(BLOCK),
        raw=np.zeros(BLOCK, np.uint64),
        mant=np.zeros(BLOCK, np.uint64),
        flags=np.zeros(BLOCK, np.uint8),
        pos=np.array([BLOCK, BLOCK], np.int64),
    )


# ------------------------------------------------------------------------ compiled kernels


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _rotl(x, k, kc):  # pragma: no cover - compiled
    return (x << k) | (x >> kc)


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _step(s0, s1, s2, s3):  # pragma: no cover - compiled
    """One xoshiro256++ step (Blackman & Vigna's ``next``): ``(output, s0, s1, s2, s3)``."""
    result = _rotl(s0 + s3, _U23, _U41) + s0
    t = s1 << _U17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, _U45, _U19)
    return result, s0, s1, s2, s3


@njit(cache=True, nogil=True, fastmath=False)
def _refill(lanes, out):  # pragma: no cover - compiled
    """Advance every lane one step; ``out[l]`` = lane ``l``'s output.

    The lanes are independent: LLVM vectorises this loop (4 words per instruction with AVX2).
    """
    for lane in range(BLOCK):
        out[lane], s0, s1, s2, s3 = _step(lanes[0, lane], lanes[1, lane], lanes[2, lane],
                                          lanes[3, lane])  # fmt: skip
        lanes[0, lane] = s0
        lanes[1, lane] = s1
        lanes[2, lane] = s2
        lanes[3, lane] = s3


@njit(cache=True, nogil=True, fastmath=False)
def _aux_next(aux):  # pragma: no cover - compiled
    """One step of the auxiliary xoshiro256++ generator (scalar)."""
    result, aux[0], aux[1], aux[2], aux[3] = _step(aux[0], aux[1], aux[2], aux[3])
    return result


@njit(cache=True, nogil=True, fastmath=False)
def _aux_double(aux):  # pragma: no cover - compiled
    return float(_aux_next(aux) >> _U11) * _TWO_M53


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _tail(aux, negative):  # pragma: no cover - compiled
    """Return ``±(R + ξ)`` by Marsaglia's tail method (``ξ``, ``υ`` until ``2υ > ξ²``)."""
    while True:
        xx = -_INV_R * math.log1p(-_aux_double(aux))
        yy = -math.log1p(-_aux_double(aux))
        if yy + yy > xx * xx:
            return -(_R + xx) if negative else _R + xx


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _in_wedge(aux, idx, x):  # pragma: no cover - compiled
    """Return whether ``x`` of layer ``idx >= 1`` passes the wedge test (one auxiliary uniform)."""
    return (_F[idx - 1] - _F[idx]) * _aux_double(aux) + _F[idx] < math.exp(-0.5 * x * x)


@njit(cache=True, nogil=True, fastmath=False)
def _slow(aux, idx, x, negative):  # pragma: no cover - compiled
    """Return the slow path's normal for a rejected candidate (layer ``idx``, value ``x``).

    Layer 0: the tail; else the wedge test keeps ``x``; else a complete fresh ziggurat normal
    of the auxiliary stream (its own fast test, tail and wedge, retried until accepted).
    """
    if idx == 0:
        return _tail(aux, negative)
    if _in_wedge(aux, idx, x):
        return x
    while True:
        w = _aux_next(aux)
        i = np.int64(w & _UMASK)
        neg = ((w >> _USIGN) & _U1) != 0
        u = float(w >> _U12) * 2.0**-52
        y = u * _W[i]
        if neg:
            y = -y
        if u < _K[i]:
            return y
        if i == 0:
            return _tail(aux, neg)
        if _in_wedge(aux, i, y):
            return y


@njit(cache=True, nogil=True, fastmath=False)
def _refill_block(lanes, aux, raw, mant, flags, out):  # pragma: no cover - compiled
    """Write the next block of ``BLOCK`` normals into ``out`` (the arrays of a :class:`FastStream`).

    Arrays, not the stream tuple: a compiled call taking the tuple updates the reference
    count of each of its arrays, which measured several ns per normal.

    The fast path runs over the whole block without branches; the rejected positions are
    then found 8 at a time: ``flags`` (one byte per position) read as 32 ``uint64`` words,
    and only a nonzero word (about 3 % of them: 0.43 % of the candidates are rejected) is
    looked at byte by byte. The slow path runs in position order, so the auxiliary stream is
    read in the order the module docstring defines. (Before, a branch-free compaction of the
    positions, one dependent step per position: 1.6 ns per normal against 1.33 now, on
    ``benchmarks/README.md``'s Xeon; the same bits.)
    """
    K = _K
    W = _W
    _refill(lanes, raw)
    for i in range(BLOCK):
        mant[i] = (raw[i] >> _U12) | _ONE_BITS
    one_plus_u = mant.view(np.float64)
    for i in range(BLOCK):  # the fast path, without branches: vectorised (with gathers)
        w = raw[i]
        idx = w & _UMASK
        u = one_plus_u[i] - 1.0  # exact: the top 52 bits of w times 2^-52
        x = u * W[idx]
        out[i] = -x if (w >> _USIGN) & _U1 else x
        flags[i] = u >= K[idx]
    eight = flags.view(np.uint64)  # flags[8 q : 8 q + 8], one word
    for q in range(BLOCK // 8):
        if eight[q] != 0:  # rare: a rejected candidate among these 8
            for i in range(8 * q, 8 * q + 8):
                if flags[i] != 0:
                    w = raw[i]
                    out[i] = _slow(aux, np.int64(w & _UMASK), out[i], ((w >> _USIGN) & _U1) != 0)


@njit(cache=True, nogil=True, fastmath=False)
def _exp_slow(aux, idx, x):  # pragma: no cover - compiled
    """Return the exponential ziggurat's slow path for a rejected candidate (layer ``idx``, ``x``).

    Layer 0: the tail, ``R − log(1 − U)`` (``R`` plus an Exp(1): the exponential forgets);
    else the wedge test ``F_{idx} + U (F_{idx−1} − F_{idx}) < e^{−x}`` keeps ``x``; else a
    complete fresh exponential of the auxiliary stream (its own fast test, tail and wedge,
    retried until accepted). One auxiliary uniform per tail or wedge test.
    """
    if idx == 0:
        return _ER - math.log1p(-_aux_double(aux))
    if (_EF[idx - 1] - _EF[idx]) * _aux_double(aux) + _EF[idx] < math.exp(-x):
        return x
    while True:
        w = _aux_next(aux)
        i = np.int64(w & _EMASK)
        u = float(w >> _U12) * 2.0**-52
        y = u * _EW[i]
        if u < _EK[i]:
            return y
        if i == 0:
            return _ER - math.log1p(-_aux_double(aux))
        if (_EF[i - 1] - _EF[i]) * _aux_double(aux) + _EF[i] < math.exp(-y):
            return y


@njit(cache=True, nogil=True, fastmath=False)
def _exp_chunk(words, p, m, aux, out, j):  # pragma: no cover - compiled
    """``out[j + c] = E_c − 1`` for the word-queue words ``words[p + c]``, ``c < m``.

    ``E_c`` is the exponential ziggurat's value of word ``p + c`` (the module docstring):
    the fast path per word, the rare rejected word (0.64%) through :func:`_exp_slow` at
    once, so the auxiliary stream is read in the order of the words.
    :func:`convotron._compiled._kernels._updates` has this loop written out.
    """
    EK = _EK
    EW = _EW
    for c in range(m):
        w = words[p + c]
        idx = np.int64(w & _EMASK)
        u = float(w >> _U12) * 2.0**-52  # exact: the top 52 bits of the word times 2^-52
        x = u * EW[idx]
        if u >= EK[idx]:
            x = _exp_slow(aux, idx, x)
        out[j + c] = x - 1.0


@njit(cache=True, nogil=True, fastmath=False)
def _refill_normals(st):  # pragma: no cover - compiled
    """Fill ``st.normals`` with the next block of ``BLOCK`` normals; ``pos[1] = 0``."""
    _refill_block(st.lanes, st.aux, st.raw, st.mant, st.flags, st.normals)
    st.pos[1] = 0


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def next_normal(st):  # pragma: no cover - compiled
    """Return the next standard normal of the stream."""
    p = st.pos[1]
    if p >= BLOCK:
        _refill_normals(st)
        p = 0
    st.pos[1] = p + 1
    return st.normals[p]


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _next_word(st):  # pragma: no cover - compiled
    p = st.pos[0]
    if p >= BLOCK:
        _refill(st.lanes, st.words)
        p = 0
    st.pos[0] = p + 1
    return st.words[p]


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def next_double(st):  # pragma: no cover - compiled
    """Return the next uniform on ``[0, 1)`` of the word queue, ``(w >> 11) 2^-53``."""
    return float(_next_word(st) >> _U11) * _TWO_M53


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def fill_normal(st, out, n):  # pragma: no cover - compiled
    """Write the next ``n`` normals of the stream into ``out[:n]``."""
    j = 0
    normals = st.normals
    while j < n:
        p = st.pos[1]
        if p >= BLOCK:
            _refill_normals(st)
            p = 0
        m = min(n - j, BLOCK - p)
        ju = np.uint64(j)  # unsigned indices: no negative-index wrap-around, so the copy
        pu = np.uint64(p)  # is vectorised (1.48 against 1.99 ns per normal, 64 at a time)
        for c in range(np.uint64(m)):
            out[ju + c] = normals[pu + c]
        st.pos[1] = p + m
        j += m


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def fill_uniform(st, out, n, low, high):  # pragma: no cover - compiled
    """Write ``low + (high − low) U`` for the next ``n`` word-queue uniforms into ``out[:n]``."""
    width = high - low
    for j in range(n):
        out[j] = low + width * next_double(st)


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def _add_signs(st, out, n, mu):  # pragma: no cover - compiled
    """Add ``mu (2 b_j − 1)`` to ``out[j]``; ``b_j`` = bit ``j % 64`` of word ``j // 64``."""
    w = np.uint64(0)
    for j in range(n):
        if j % 64 == 0:
            w = _next_word(st)
        bit = (w >> np.uint64(j % 64)) & _U1
        out[j] += mu * (float(bit) * 2.0 - 1.0)


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def fill_rademacher(st, out, n):  # pragma: no cover - compiled
    """Write ``n`` independent signs ``±1`` (word-queue bits) into ``out[:n]``."""
    for j in range(n):
        out[j] = 0.0
    _add_signs(st, out, n, 1.0)


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def fill_mixture(st, out, n):  # pragma: no cover - compiled
    """Write ``n`` draws of ``τ g + μ (2b − 1)`` (:mod:`convotron.data.laws`'s mixture)."""
    fill_normal(st, out, n)
    for j in range(n):
        out[j] *= _MIX_TAU
    _add_signs(st, out, n, _MIX_MU)


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def fill_student_t(st, out, n):  # pragma: no cover - compiled
    """Write ``n`` standardised Student-t (ν = 5) draws ``g_0 √(3 / Σ_{i=1}^5 g_i²)``."""
    for j in range(n):
        g0 = next_normal(st)
        ss = 0.0
        for _ in range(5):
            g = next_normal(st)
            ss += g * g
        out[j] = g0 * math.sqrt(3.0 / ss)


@njit(cache=True, nogil=True, fastmath=False, inline="always")
def fill_exponential(st, out, n):  # pragma: no cover - compiled
    """Write ``n`` draws of ``E − 1``, ``E ~ Exp(1)`` (the exponential ziggurat, one word each)."""
    j = 0
    while j < n:
        p = st.pos[0]
        if p >= BLOCK:
            _refill(st.lanes, st.words)
            p = 0
        m = min(n - j, BLOCK - p)
        _exp_chunk(st.words, p, m, st.aux, out, j)
        st.pos[0] = p + m
        j += m


@njit(cache=True, nogil=True, fastmath=False)
def _fill_law(st, law, out, n):  # pragma: no cover - compiled
    """Draw ``n`` coordinates of law code ``law`` (a ``LawCode``) into ``out``.

    A code without a branch here draws nothing (:func:`draw` refuses it first).
    """
    if law == LawCode.GAUSSIAN:
        fill_normal(st, out, n)
    elif law == LawCode.RADEMACHER:
        fill_rademacher(st, out, n)
    elif law == LawCode.UNIFORM:
        fill_uniform(st, out, n, -_SQRT3, _SQRT3)
    elif law == LawCode.MIXTURE:
        fill_mixture(st, out, n)
    elif law == LawCode.STUDENT_T:
        fill_student_t(st, out, n)
    elif law == LawCode.EXPONENTIAL:
        fill_exponential(st, out, n)


# ------------------------------------------------------------------------ in the fused loop
# convotron._compiled._kernels._updates draws from a FastStream's arrays itself, unpacked once per
# call: passing the arrays (or the tuple) to a helper per value or per sample, even one
# inlined by numba, costs reference counts that measured up to 80x the draw (Student-t).


def check_fast_law(code: int) -> None:
    """Refuse a law code that the fast stream does not draw (a law added to ``LawCode`` only).

    Raises
    ------
    ConvotronError
        Naming the law code and the laws the fast stream draws.
    """
    if int(code) not in LAW_CODES.values():
        raise ConvotronError(
            f"the fast stream does not draw the input law of code {int(code)}; it draws "
            f"{', '.join(LAW_CODES)}. Pass stream='numpy' (--rng numpy on the command line), "
            "or add the law to convotron._compiled._rng and to the fast branch of "
            "convotron._compiled._kernels._updates."
        )


def seed_from_generator(rng: np.random.Generator) -> np.random.SeedSequence:
    """Return ``SeedSequence([w_0, w_1, w_2, w_3])``, ``w = rng.integers(0, 2**64, 4, uint64)``.

    The seed of a run's fast stream: a function of ``rng``'s state, so a run seeded as today
    (``default_rng(seed)``) is reproducible with the fast stream too.
    """
    words = rng.integers(0, 2**64, size=4, dtype=np.uint64)
    return np.random.SeedSequence([int(v) for v in words])


def stream_from_generator(rng: np.random.Generator) -> FastStream:
    """Return the fast stream of a run whose generator is ``rng`` (draws 4 words from it)."""
    return fast_stream(seed_from_generator(rng))


#: The laws the fast stream draws, by name, and their codes (the branches of :func:`_fill_law`
#: and of the fast block of ``_kernels._updates``).
LAW_CODES = {
    "gaussian": int(LawCode.GAUSSIAN),
    "rademacher": int(LawCode.RADEMACHER),
    "uniform": int(LawCode.UNIFORM),
    "mixture": int(LawCode.MIXTURE),
    "student-t": int(LawCode.STUDENT_T),
    "exponential": int(LawCode.EXPONENTIAL),
}


def draw(st: FastStream, law: str, size: int) -> np.ndarray:
    """Return the next ``size`` draws of ``law`` (a name of :data:`convotron.data.laws.LAWS`).

    A convenience for tests and benchmarks: the compiled loops call the ``fill_*`` kernels.
    """
    if law not in LAW_CODES:
        raise ConvotronError(
            f"unknown law {law!r} for a fast stream; the laws are {', '.join(LAW_CODES)}. "
            "Pass one of these."
        )
    out = np.empty(int(size))
    _fill_law(st, LAW_CODES[law], out, out.shape[0])
    return out


# ------------------------------------------------------------------------ readable oracle


def xoshiro_reference(state: list[int]) -> int:
    """One step of xoshiro256++ on ``state`` (four Python ints, updated in place): its output.

    A transcription of the reference C code with Python integers; the tests check it
    against the published outputs from the state ``(1, 2, 3, 4)``.
    """
    s0, s1, s2, s3 = state

    def rotl(x: int, k: int) -> int:
        return ((x << k) | (x >> (64 - k))) & _MASK64

    result = (rotl((s0 + s3) & _MASK64, 23) + s0) & _MASK64
    t = (s1 << 17) & _MASK64
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 45)
    state[:] = [s0, s1, s2, s3]
    return result


class ReferenceStream:
    """The fast stream in plain Python (integers, ``math``), the oracle of the compiled one.

    Slow (microseconds per value): for tests on small sizes. It follows the module
    docstring's layout line by line, independently of the compiled kernels.
    """

    def __init__(self, seed: Any) -> None:
        words = [int(v) for v in _seed_words(seed)]
        self.lanes = [words[4 * lane : 4 * lane + 4] for lane in range(LANES)]
        self.aux = words[4 * LANES :]
        self.word_queue: list[int] = []
        self.normal_block: list[float] = []
        self.K = [float(v) for v in _K]
        self.W = [float(v) for v in _W]
        self.F = [float(v) for v in _F]
        self.EK = [float(v) for v in _EK]
        self.EW = [float(v) for v in _EW]
        self.EF = [float(v) for v in _EF]

    def refill(self) -> list[int]:
        return [xoshiro_reference(self.lanes[lane]) for lane in range(LANES)]

    def word(self) -> int:
        if not self.word_queue:
            self.word_queue = self.refill()
        return self.word_queue.pop(0)

    def double(self) -> float:
        return (self.word() >> 11) * 2.0**-53

    def _aux_double(self) -> float:
        return (xoshiro_reference(self.aux) >> 11) * 2.0**-53

    def _tail(self, negative: bool) -> float:
        while True:
            xx = -_INV_R * math.log1p(-self._aux_double())
            yy = -math.log1p(-self._aux_double())
            if yy + yy > xx * xx:
                return -(_R + xx) if negative else _R + xx

    def _candidate(self, w: int) -> tuple[int, bool, float, float]:
        idx = w & (LAYERS - 1)
        negative = bool((w >> 10) & 1)
        u = (w >> 12) * 2.0**-52
        x = u * self.W[idx]
        return idx, negative, u, (-x if negative else x)

    def _wedge(self, idx: int, x: float) -> bool:
        return (self.F[idx - 1] - self.F[idx]) * self._aux_double() + self.F[idx] < math.exp(
            -0.5 * x * x
        )

    def _slow(self, idx: int, negative: bool, x: float) -> float:
        if idx == 0:
            return self._tail(negative)
        if self._wedge(idx, x):
            return x
        while True:  # a complete ziggurat normal of the auxiliary stream
            i, neg, u, y = self._candidate(xoshiro_reference(self.aux))
            if u < self.K[i]:
                return y
            if i == 0:
                return self._tail(neg)
            if self._wedge(i, y):
                return y

    def normal(self) -> float:
        if not self.normal_block:
            cands = [self._candidate(w) for w in self.refill()]
            # the fast path: accepted candidates as they are; then the slow paths, in order
            self.normal_block = [
                x if u < self.K[idx] else self._slow(idx, negative, x)
                for idx, negative, u, x in cands
            ]
        return float(self.normal_block.pop(0))

    def draw(self, law: str, size: int) -> list[float]:
        """Return the next ``size`` draws of ``law``, as :func:`draw` makes them."""
        if law == "gaussian":
            return [self.normal() for _ in range(size)]
        if law == "uniform":
            return [-_SQRT3 + (2 * _SQRT3) * self.double() for _ in range(size)]
        if law in ("rademacher", "mixture"):
            base = [_MIX_TAU * self.normal() for _ in range(size)] if law == "mixture" else None
            mu = _MIX_MU if law == "mixture" else 1.0
            out = []
            w = 0
            for j in range(size):
                if j % 64 == 0:
                    w = self.word()
                sign = 2.0 * ((w >> (j % 64)) & 1) - 1.0
                out.append((0.0 if base is None else base[j]) + mu * sign)
            return out
        if law == "student-t":
            out = []
            for _ in range(size):
                g0 = self.normal()
                ss = 0.0
                for _ in range(5):
                    g = self.normal()
                    ss += g * g
                out.append(g0 * math.sqrt(3.0 / ss))
            return out
        return [self.exponential() - 1.0 for _ in range(size)]

    def _exp_wedge(self, idx: int, x: float) -> bool:
        return (self.EF[idx - 1] - self.EF[idx]) * self._aux_double() + self.EF[idx] < math.exp(-x)

    def _exp_slow(self, idx: int, x: float) -> float:
        if idx == 0:
            return _ER - math.log1p(-self._aux_double())
        if self._exp_wedge(idx, x):
            return x
        while True:  # a complete exponential ziggurat draw of the auxiliary stream
            w = xoshiro_reference(self.aux)
            i = w & (EXP_LAYERS - 1)
            u = (w >> 12) * 2.0**-52
            y = u * self.EW[i]
            if u < self.EK[i]:
                return y
            if i == 0:
                return _ER - math.log1p(-self._aux_double())
            if self._exp_wedge(i, y):
                return y

    def exponential(self) -> float:
        """Return the next ``Exp(1)`` of the stream: one word of the queue (module docstring)."""
        w = self.word()
        idx = w & (EXP_LAYERS - 1)
        u = (w >> 12) * 2.0**-52
        x = u * self.EW[idx]
        return x if u < self.EK[idx] else self._exp_slow(idx, x)
