"""The cases of ``convotron verify``: one problem and a target ``(ε, δ)`` each, and the suites.

See :mod:`convotron.glue.verify` for what a case checks and how.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._errors import ConvotronError
from ..._validate import Interval, Options, validate
from ...geometry.patches import PatchScheme, parse_spec
from ...model.problem import Problem

__all__ = ["MODES", "PRECONDITIONS", "Case", "default_cases", "preconditioned_cases", "se_kernel"]

#: The values of ``verify --precondition``: Algorithm 1, ``H = M⁻¹``, ``H = M̂⁻¹``.
PRECONDITIONS = ("none", "exact", "plugin")

#: Suite sizes: the runs per case and the budget of updates (``T × runs``) per case.
MODES: dict[str, dict[str, float]] = {
    "quick": {"runs": 200, "max_updates": 5e7, "control_iters": 5_000},
    "default": {"runs": 500, "max_updates": 4e8, "control_iters": 20_000},
    "full": {"runs": 200, "max_updates": 1e10, "control_iters": 20_000},
}


@dataclass(frozen=True)
class Case:
    """One verification case: a problem and the target ``(ε, δ)``.

    Parameters
    ----------
    name : str
        Short unique name (letters, digits, ``-`` and ``_``); used for figure file names.
    scheme : str
        Patch scheme spec as accepted by :func:`convotron.geometry.patches.parse_spec`
        (``1d:N,R,STRIDE``, ``2d:H,W,PH,PW,SH,SW``, ...), or ``"indices"`` together with
        ``n`` and ``indices`` for an arbitrary index scheme.
    alpha : float
        Leaky ReLU slope ``α ∈ [0, 1]`` (0: ReLU, 1: linear).
    dist : str
        Input law name (:data:`convotron.data.laws.LAWS`).
    cov : str
        Covariance spec (:func:`convotron.data.covariance.parse_cov`), e.g. ``"ar1:0.5"``.
    noise : str
        Noise spec (:func:`convotron.data.laws.parse_noise`), e.g. ``"gaussian:0.2"``.
    eps, delta : float
        Target: ``P[‖w_{T+1} − w*‖² > ε] ≤ δ``.
    w_norm : float
        ``‖w*‖`` of the teacher (drawn uniformly on that sphere).
    only_patch : int or None
        Run the disjoint-patch variant along this patch (``thm-disjoint``).
    n : int or None
        Input dimension, only with ``scheme="indices"``.
    indices : tuple of tuple of int or None
        The ``(k, r)`` index array, only with ``scheme="indices"``.
    runs : int or None
        Runs for this case, overriding the suite's (used to keep the largest ``full`` cases
        within minutes); None: the suite's number.
    control : str or None
        For a negative control: which assumption the case breaks on purpose. Its status is
        ASSUMPTION VIOLATED, never FAIL.
    claim : str
        Book label of the claim the case checks: ``cor-realizable`` (the default: noiseless
        labels, the theorem's realizable η and T), ``cor-noisy``, ``thm-disjoint``,
        ``lem-linear-mse`` (α = 1: the measured mean-square error curve against the exact
        one at every recorded t, ``convotron.glue.verify.mse``), or
        ``thm-convotron`` for the negative controls, whose hypotheses fail, or
        ``thm-precond`` for the preconditioned cases (this project's extension, [derived]).
    precondition : str
        ``"none"`` (Algorithm 1), ``"exact"`` (``H = M⁻¹``) or ``"plugin"`` (``H = M̂⁻¹``, one
        ``M̂`` per case from its own seed); with ``exact``/``plugin`` the case's ``η`` and ``T``
        are thm-precond's (:func:`convotron.glue.precondition.preconditioned_parameters`).
    sigma : tuple of tuple of float or None
        An explicit dense ``Σ`` (``n × n``); ``cov`` is then only its label (e.g.
        ``"dense:se-kernel"``).
    """

    name: str
    scheme: str
    alpha: float = 0.0
    dist: str = "gaussian"
    cov: str = "identity"
    noise: str = "0"
    eps: float = 0.01
    delta: float = 0.1
    w_norm: float = 1.0
    only_patch: int | None = None
    n: int | None = None
    indices: tuple[tuple[int, ...], ...] | None = None
    runs: int | None = None
    control: str | None = None
    claim: str = "cor-realizable"
    precondition: str = "none"
    sigma: tuple[tuple[float, ...], ...] | None = None

    def __post_init__(self) -> None:
        if not self.name or not all(c.isalnum() or c in "-_." for c in self.name):
            raise ConvotronError(
                "case name must be non-empty and use only letters, digits, '-', '_' and '.'; "
                f"got {self.name!r}. Rename the case, e.g. 'my-case'."
            )
        of_case = f" of case {self.name!r}"
        validate(
            "eps",
            self.eps,
            Interval(float, 0.0, None, closed="neither"),
            meaning="the target squared error" + of_case,
            fix="Pass e.g. eps=0.01.",
        )
        validate(
            "delta",
            self.delta,
            Interval(float, 0.0, 1.0, closed="neither"),
            meaning="the failure probability" + of_case,
            fix="Pass e.g. delta=0.1.",
        )
        validate(
            "runs",
            self.runs,
            Interval(int, 1, None),
            meaning="the independent runs" + of_case,
            fix="Pass e.g. runs=20, or None for the suite's number.",
            allow_none=True,
        )
        validate("precondition", self.precondition, Options(*PRECONDITIONS),
                 fix="Pass one of them.")  # fmt: skip
        if self.precondition != "none" and self.only_patch is not None:
            raise ConvotronError(
                f"case {self.name!r}: precondition={self.precondition!r} with only_patch="
                f"{self.only_patch}; the disjoint-patch variant has no preconditioned theorem. "
                "Drop one of them."
            )
        if (self.scheme == "indices") != (self.indices is not None and self.n is not None):
            raise ConvotronError(
                "an arbitrary index scheme needs scheme='indices' together with n and indices; "
                f"got scheme={self.scheme!r}, n={self.n!r}, indices given: "
                f"{self.indices is not None} in case {self.name!r}. Pass all three, or a spec "
                "string such as '1d:16,4,2' without n and indices."
            )

    @property
    def scheme_label(self) -> str:
        """The scheme as one string: the spec, or ``indices:n=N,[[...],...]``."""
        if self.scheme != "indices":
            return self.scheme
        rows = ",".join("[" + ",".join(str(v) for v in row) + "]" for row in self.indices or ())
        return f"indices:n={self.n},[{rows}]"

    def build_scheme(self) -> PatchScheme:
        """Build the :class:`convotron.geometry.patches.PatchScheme` of the case."""
        if self.scheme == "indices":
            return PatchScheme.from_indices(int(self.n or 0), np.asarray(self.indices, np.int64))
        return parse_spec(self.scheme)

    def problem(self) -> Problem:
        """Build the :class:`convotron.model.problem.Problem` of the case (scheme, α, law, Σ.

        Noise).
        """
        if self.sigma is not None:
            from ...data.covariance import Dense

            cov: Any = Dense(np.asarray(self.sigma, dtype=np.float64))
        else:
            cov = self.cov
        return Problem.from_specs(self.build_scheme(), self.alpha, self.dist, cov, self.noise)


def _disjoint_variant_indices() -> tuple[tuple[int, ...], ...]:
    """Patch 0 = coordinates 0..3, disjoint from three overlapping patches on 4..11."""
    return ((0, 1, 2, 3), (4, 5, 6, 7), (6, 7, 8, 9), (8, 9, 10, 11))


def default_cases(mode: str = "default") -> list[Case]:
    """Return the suite of ``convotron verify`` for ``mode`` (``quick``, ``default``, ``full``).

    ``quick`` and ``default`` have the same cases (they differ in the number of runs); the
    theorem's ``T`` of each was kept small by choice of scheme, since ``T`` grows like ``k³``
    (spec §5, instantiated bound). ``full`` adds larger schemes, among them the follow-up
    literature's ``n = 160, r = 16`` at strides 9, 12 and 16 (spec §6), and ``1d:64,8,2``
    (``T ≈ 1.8·10⁷`` with the exact β). Every case of ``full`` runs with the mode's 200 runs:
    the largest, ``1d:64,8,2``, costs ``3.5·10⁹`` updates, within the mode's budget of
    ``10¹⁰`` (the fused loop does about ``1.6·10⁶`` updates per second per core on it;
    ``convotron verify --full --scheduler ADDRESS`` spreads the runs over a Dask cluster, see
    ``benchmarks/README.md``). That budget is the suite's own: the runs go through
    :func:`convotron.learning.many.run_range` in chunks, and
    :func:`~convotron.glue.verify.suite.plan_suite` checks every limit of every case before
    the first run (``tests/integration/test_verify_power.py`` computes them for ``full``).

    Noisy cases use ``ε = 0.1, δ = 0.2``: with noise ``T`` is linear in ``1/(εδ)``.
    """
    validate("mode", mode, Options(*MODES), fix="Pass one of them.")
    cases = [
        Case("1d-stride2-relu", "1d:16,4,2"),
        Case("1d-stride1-relu", "1d:6,3,1"),
        Case("1d-stride3-relu", "1d:10,4,3"),
        Case("1d-disjoint-relu", "1d:12,4,4"),
        Case("2d-overlap-relu", "2d:5,5,3,3,2,2"),
        Case("1d-ar1-relu", "1d:8,4,2", cov="ar1:0.5"),
        Case("rademacher-relu", "1d:8,4,2", dist="rademacher"),
        Case("uniform-relu", "1d:8,4,2", dist="uniform"),
        Case("mixture-relu", "1d:8,4,2", dist="mixture"),
        Case("student-t-relu", "1d:6,4,2", dist="student-t"),
        Case("1d-leaky-0.5", "1d:16,4,2", alpha=0.5),
        Case("1d-linear", "1d:8,4,2", alpha=1.0),
        Case(
            "linear-mse-curve",
            "1d:16,4,2",
            alpha=1.0,
            noise="gaussian:0.3",
            runs=1000,
            claim="lem-linear-mse",
        ),
        Case(
            "noise-gaussian",
            "1d:8,4,2",
            noise="gaussian:0.2",
            eps=0.1,
            delta=0.2,
            claim="cor-noisy",
        ),
        Case("noise-hetero", "1d:8,4,2", noise="hetero:0.2", eps=0.1, delta=0.2, claim="cor-noisy"),
        Case(
            "disjoint-patch-variant",
            "indices",
            n=12,
            indices=_disjoint_variant_indices(),
            only_patch=0,
            claim="thm-disjoint",
        ),
        Case(
            "control-asymmetric",
            "1d:8,4,2",
            dist="exponential",
            control="input law 'exponential' is not symmetric (x and -x differ in law)",
            claim="thm-convotron",
        ),
        Case(
            "control-singular",
            "indices",
            n=2,
            indices=((0, 1), (1, 0)),
            control="lambda_min(M) = 0: patches [0,1] and [1,0] give P = [[1,1],[1,1]]",
            claim="thm-convotron",
        ),
    ]
    if mode == "full":
        cases += [
            Case("2d-stride1-relu", "2d:4,4,2,2,1,1"),
            Case("1d-32-8-4-relu", "1d:32,8,4"),
            Case("dl18-160-16-16", "1d:160,16,16"),
            Case("dl18-160-16-16-uniform", "1d:160,16,16", dist="uniform"),
            Case("dl18-160-16-12", "1d:160,16,12"),
            Case("dl18-160-16-9", "1d:160,16,9"),
            Case("1d-64-8-2-relu", "1d:64,8,2"),
        ]
    return cases


def se_kernel(n: int = 8, ell: float = 2.0, ridge: float = 1e-3) -> tuple[tuple[float, ...], ...]:
    r"""Return a dense, badly conditioned ``Σ``: the squared-exponential kernel plus a ridge.

    :math:`\Sigma_{ij} = \exp(-(i-j)^2/(2\ell^2)) + \text{ridge}\,\delta_{ij}`: every entry
    non-zero (not AR(1), not banded), deterministic. On ``1d:8,4,2`` with the defaults,
    ``cond(M) ≈ 2774`` (``M = PΣPᵀ``).
    """
    i = np.arange(n, dtype=np.float64)
    S = np.exp(-(((i[:, None] - i[None, :]) / ell) ** 2) / 2.0) + ridge * np.eye(n)
    return tuple(tuple(float(v) for v in row) for row in S)


def preconditioned_cases(mode: str = "default", precondition: str = "exact") -> list[Case]:
    """Return the suite of ``convotron verify --precondition exact|plugin`` (thm-precond).

    AR(1) inputs with ``ρ ∈ {0.5, 0.9, 0.99}``, a dense badly conditioned ``Σ``
    (:func:`se_kernel`, ``cond(M) ≈ 2774``), and two non-Gaussian laws (Rademacher and
    uniform coordinates, ``x = Lz`` with AR(1) 0.9: symmetric, as the theorem needs), all
    ReLU on ``1d:8,4,2``, plus one α = 0.5 case on ``1d:16,4,2`` with AR(1) 0.9
    (``cond(M) = 1287``, the issue's example) and a noisy one. Every case runs the three
    teacher directions of :data:`~convotron.glue.verify.suite.DIRECTIONS`. The theorem's
    ``T`` of each is a few thousand (``1d:16,4,2``: about 12,000), where Algorithm 1's is
    ``10⁵`` to ``10⁹``, so every case fits ``quick``; ``full`` adds ``1d:16,4,2`` with
    AR(1) 0.99 (``cond(M) ≈ 18757``) and ``1d:32,8,4`` with AR(1) 0.9.
    """
    validate("mode", mode, Options(*MODES), fix="Pass one of them.")
    validate("precondition", precondition, Options("exact", "plugin"), fix="Pass one of them.")
    tag = "precond" if precondition == "exact" else "plugin"

    def case(name: str, scheme: str, **kw: Any) -> Case:
        return Case(f"{tag}-{name}", scheme, precondition=precondition, claim="thm-precond", **kw)

    cases = [
        case("ar1-0.5", "1d:8,4,2", cov="ar1:0.5"),
        case("ar1-0.9", "1d:8,4,2", cov="ar1:0.9"),
        case("ar1-0.99", "1d:8,4,2", cov="ar1:0.99"),
        case("dense-se", "1d:8,4,2", cov="dense:se-kernel(ell=2,ridge=1e-3)", sigma=se_kernel()),
        case("rademacher-ar1-0.9", "1d:8,4,2", dist="rademacher", cov="ar1:0.9"),
        case("uniform-ar1-0.9", "1d:8,4,2", dist="uniform", cov="ar1:0.9"),
        case("16-leaky-ar1-0.9", "1d:16,4,2", alpha=0.5, cov="ar1:0.9"),
        case("noise-ar1-0.9", "1d:8,4,2", cov="ar1:0.9", noise="gaussian:0.2", eps=0.1, delta=0.2),
    ]
    if mode == "full":
        cases += [
            case("16-ar1-0.99", "1d:16,4,2", cov="ar1:0.99"),
            case("32-ar1-0.9", "1d:32,8,4", cov="ar1:0.9"),
        ]
    return cases
