"""Conv-layer specs (``conv1d:``/``conv2d:``) against an independent convolution.

The oracle here is a plain numpy sliding-window cross-correlation, channels first, written
with ``np.pad`` and explicit loops; it never looks at ``PatchScheme.indices``. A failure
means the conv spec does not build the layer a framework (PyTorch's ``Conv1d``/``Conv2d``,
one output channel, no bias) computes, or a consumer of the padding sentinel ``-1`` reads
``x[-1]`` instead of 0.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convotron import ConvotronError
from convotron._compiled import _kernels
from convotron.geometry.patches import PatchScheme, parse_spec
from convotron.learning.algorithm import convotron_on_data, convotron_reference
from convotron.learning.baselines import sgd_on_data, sgd_reference
from convotron.model.network import preactivations, predict


# -- the independent convolution --------------------------------------------------------------
def _pads(size: int, kernel: int, dilation: int, padding: object) -> tuple[int, int]:
    if padding == "same":  # PyTorch: total D(K-1), the odd extra zero after
        total = dilation * (kernel - 1)
        return total // 2, total - total // 2
    if padding == "valid":
        return 0, 0
    return int(padding), int(padding)  # type: ignore[call-overload]


def framework_out_size(size: int, kernel: int, stride: int, lo: int, hi: int, dil: int) -> int:
    """torch.nn.Conv1d's documented L_out = floor((L + 2P − D(K−1) − 1)/S) + 1."""
    return (size + lo + hi - dil * (kernel - 1) - 1) // stride + 1


def xcorr(x, w, strides, pads, dilations):
    """Cross-correlation of one input ``(C, *spatial)`` with one filter ``(C, *kernel)``.

    Returns the output map, row-major flattened (loops over output positions).
    """
    xp = np.pad(x, [(0, 0)] + [tuple(p) for p in pads])
    spatial = xp.shape[1:]
    ksz = w.shape[1:]
    outs = [
        (spatial[j] - dilations[j] * (ksz[j] - 1) - 1) // strides[j] + 1 for j in range(len(ksz))
    ]
    out = np.zeros(outs)
    for pos in np.ndindex(*outs):
        sl = tuple(
            slice(
                pos[j] * strides[j],
                pos[j] * strides[j] + dilations[j] * (ksz[j] - 1) + 1,
                dilations[j],
            )
            for j in range(len(ksz))
        )
        out[pos] = float(np.sum(xp[(slice(None), *sl)] * w))
    return out.ravel()


def leaky_mean(z, alpha):
    return float(np.mean(np.where(z >= 0, z, alpha * z)))


@st.composite
def conv_layers(draw, max_size=9):
    """A conv layer spec with its parameters (padded, dilated, strided, channels)."""
    dims = draw(st.sampled_from([1, 2]))
    c = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, max_size)) for _ in range(dims)]
    kernels = [draw(st.integers(1, 4)) for _ in range(dims)]
    dil = [draw(st.integers(1, 3)) for _ in range(dims)]
    stride = [draw(st.integers(1, 3)) for _ in range(dims)]
    mode = draw(st.sampled_from(["int", "same", "valid"]))
    if mode == "same":
        stride = [1] * dims
        padding: object = "same"
        pads = [_pads(sizes[j], kernels[j], dil[j], "same") for j in range(dims)]
    elif mode == "valid":
        padding = "valid"
        pads = [(0, 0)] * dims
    else:
        p = [draw(st.integers(0, 3)) for _ in range(dims)]
        padding = p
        pads = [(v, v) for v in p]
    ks = [
        framework_out_size(sizes[j], kernels[j], stride[j], *pads[j], dil[j]) for j in range(dims)
    ]
    if min(ks) < 1:
        padding, pads = "same", [_pads(sizes[j], kernels[j], dil[j], "same") for j in range(dims)]
        stride = [1] * dims
        ks = list(sizes)

    def opt(vals):
        return str(vals[0]) if len(set(vals)) == 1 else "x".join(map(str, vals))

    spec = f"conv{dims}d:{c}," + ",".join(map(str, sizes)) + "," + ",".join(map(str, kernels))
    spec += f",stride={opt(stride)},dilation={opt(dil)}"
    spec += f",padding={padding if isinstance(padding, str) else opt(padding)}"
    return {
        "spec": spec, "dims": dims, "c": c, "sizes": sizes, "kernels": kernels, "stride": stride,
        "dilation": dil, "pads": pads, "ks": ks,
    }  # fmt: skip


# -- k, r, n and the model's output against the oracle --------------------------------------
@pytest.mark.claim("lem-conv-padded")
@given(conv_layers(), st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.1, 0.5, 1.0]))
def test_conv_model_equals_independent_convolution_then_leaky_relu_and_average_pooling(
    layer, seed, alpha
):
    scheme = parse_spec(layer["spec"])
    c, sizes, kernels = layer["c"], layer["sizes"], layer["kernels"]
    assert scheme.n == c * int(np.prod(sizes))  # n is the unpadded input size
    assert scheme.r == c * int(np.prod(kernels))
    assert scheme.k == int(np.prod(layer["ks"]))  # the frameworks' output size, floored
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((3, scheme.n))
    w = rng.standard_normal(scheme.r)
    got = np.asarray(predict(w, X, scheme, alpha))
    Z = preactivations(w, X, scheme)
    kern = _kernels.predict_rows(
        w, np.ascontiguousarray(X), np.ascontiguousarray(scheme.indices), alpha, np.empty(3)
    )
    for t in range(3):
        # PyTorch layout: weight (1, C, *kernel), input (C, *spatial), channel-major
        z = xcorr(
            X[t].reshape(c, *sizes),
            w.reshape(c, *kernels),
            layer["stride"],
            layer["pads"],
            layer["dilation"],
        )
        np.testing.assert_allclose(Z[t], z, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got[t], leaky_mean(z, alpha), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(kern[t], leaky_mean(z, alpha), rtol=1e-12, atol=1e-12)


@given(conv_layers(max_size=6))
def test_padded_positions_are_zero_rows_of_P_i(layer):
    scheme = parse_spec(layer["spec"])
    Ps = scheme.patch_matrices()
    pad = scheme.indices == -1
    assert np.all(Ps.sum(axis=2) == ~pad)  # a padded position is a zero row, else one 1
    for Pi in Ps:  # P_i P_iᵀ ⪯ I: a 0/1 diagonal
        G = Pi @ Pi.T
        assert np.array_equal(G, np.diag(np.diag(G))) and set(np.diag(G)) <= {0, 1}
    P = Ps.sum(axis=0)
    np.testing.assert_array_equal(scheme.P(), P)
    np.testing.assert_array_equal(scheme.P_sparse().toarray(), P)
    np.testing.assert_array_equal(scheme.overlap_matrix(), P @ P.T)
    np.testing.assert_array_equal(scheme.coverage, P.sum(axis=0))
    X = np.random.default_rng(0).standard_normal((2, scheme.n))
    np.testing.assert_array_equal(scheme.patches(X), np.einsum("kra,ma->mkr", Ps, X))
    assert scheme.padded == bool(pad.any())
    assert np.trace(P @ P.T) <= scheme.r * scheme.k  # = rk exactly when nothing is padded
    assert (np.trace(P @ P.T) == scheme.r * scheme.k) == (not scheme.padded)


@given(conv_layers(max_size=6))
def test_theory_builds_the_same_layer_and_M_from_the_definition(layer):
    from convotron_theory.conv import conv_indices
    from convotron_theory.overlap import overlap_matrix
    from convotron_theory.spectra import check_scheme, overlap_numeric

    scheme = parse_spec(layer["spec"])
    np.testing.assert_array_equal(conv_indices(scheme.geometry), scheme.indices)
    M = np.asarray(scheme.overlap_matrix())
    np.testing.assert_array_equal(overlap_numeric(scheme.n, scheme.indices), M)
    if scheme.n <= 64 and scheme.r <= 12:
        exact = np.asarray(overlap_matrix(scheme.n, scheme.indices), dtype=np.int64)
        np.testing.assert_array_equal(exact, M)
    res = check_scheme(scheme.n, scheme.indices, geometry=scheme.geometry, exact=False)
    ev = np.linalg.eigvalsh(M.astype(float))
    assert res.lambda_min == pytest.approx(ev[0], abs=1e-9)


@pytest.mark.claim("lem-conv-upper")
@pytest.mark.claim("lem-conv-reduction")
@given(conv_layers(max_size=8))
def test_conv_lemmas_hold_where_they_apply(layer):
    from convotron_theory import HypothesisFailed
    from convotron_theory.conv import coverage_upper_bound, lemma_conv

    scheme = parse_spec(layer["spec"])
    ev = np.linalg.eigvalsh(scheme.overlap_matrix().astype(float))
    assert ev[-1] <= coverage_upper_bound(scheme.n, scheme.indices) + 1e-9  # lem-conv-upper
    assert coverage_upper_bound(scheme.n, scheme.indices) <= scheme.k * int(scheme.coverage.max())
    try:
        lb = lemma_conv(scheme.geometry)
    except HypothesisFailed as exc:
        assert (
            scheme.padded
            or any(s % d for s, d in zip(layer["stride"], layer["dilation"], strict=True))
            or exc.claim in ("lem-1d", "lem-2d")
        )  # the lemma's own k >= ⌈r/d⌉
        return
    assert not scheme.padded
    assert ev[0] >= float(lb.lower) - 1e-9 and ev[-1] <= float(lb.upper) + 1e-9


@pytest.mark.claim("lem-conv-padded")
@pytest.mark.claim("lem-conv-reduction")
def test_lemma_functions_refuse_padded_and_dilated_layers_naming_the_hypothesis():
    from convotron_theory import HypothesisFailed
    from convotron_theory.conv import lemma_conv

    with pytest.raises(HypothesisFailed, match=r"no zero padding.*pads 1\+1 zeros") as exc:
        lemma_conv(parse_spec("conv1d:1,16,4,stride=2,padding=1").geometry)
    assert exc.value.claim == "lem-conv-padded"
    with pytest.raises(HypothesisFailed, match="dilation to divide the stride") as exc2:
        lemma_conv(parse_spec("conv1d:1,16,3,stride=3,dilation=2").geometry)
    assert exc2.value.claim == "lem-conv-reduction"
    lb = lemma_conv(parse_spec("conv2d:2,9,10,3,4,stride=2x3").geometry)
    assert (lb.claim, lb.lower, lb.upper) == ("lem-2d", 1, 35)  # spec §7's 2D numbers


# -- the algorithm on padded layers: compiled loop = readable oracle -------------------------
@pytest.mark.parametrize(
    "spec", ["conv1d:2,7,3,stride=2,padding=2", "conv2d:1,4,5,3,2,padding=same"]
)
def test_compiled_updates_match_the_readable_references_on_padded_layers(spec):
    scheme = parse_spec(spec)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, scheme.n))
    y = rng.standard_normal(40)
    fast = convotron_on_data(X, y, scheme, 0.2, eta=0.01)
    ref = convotron_reference(X, y, scheme, 0.2, eta=0.01)
    np.testing.assert_allclose(fast.w, ref[-1], rtol=1e-12, atol=1e-12)
    w0 = rng.standard_normal(scheme.r)
    fast_sgd = sgd_on_data(X, y, scheme, 0.2, lr=0.01, init=w0)
    ref_sgd = sgd_reference(X, y, scheme, 0.2, lr=0.01, w0=w0)
    np.testing.assert_allclose(fast_sgd.w, ref_sgd[-1], rtol=1e-12, atol=1e-12)


def test_a_gather_never_reads_the_last_coordinate_for_padding():
    scheme = parse_spec("conv1d:1,3,3,padding=1")  # patch 0 reads (pad, x0, x1)
    x = np.array([0.0, 0.0, 1e6])  # only the last coordinate is non-zero
    w = np.array([1.0, 0.0, 0.0])  # the first tap: padding in patch 0
    z = preactivations(w, x, scheme)
    np.testing.assert_array_equal(z, [0.0, 0.0, 0.0])
    out = _kernels.predict_rows(w, x[None, :], scheme.indices, 1.0, np.empty(1))
    assert out[0] == 0.0


# -- singular padded layers: check names the direction the data cannot identify --------------
@pytest.mark.claim("lem-conv-padded")
def test_padding_can_make_M_singular_and_check_names_the_kernel_direction():
    from convotron_theory.spectra import check_scheme

    # L = 1, K = 2, padding 1: patches (pad, x0) and (x0, pad): both taps read x0 once
    scheme = parse_spec("conv1d:1,1,2,padding=1")
    np.testing.assert_array_equal(scheme.indices, [[-1, 0], [0, -1]])
    res = check_scheme(scheme.n, scheme.indices, geometry=scheme.geometry)
    assert not res.condition_holds and res.lambda_min == 0
    assert res.kernel_direction.exact == (1, -1)
    assert "positions 0 and 1 read exactly the same input coordinates" in (
        res.kernel_direction.explanation
    )
    # stride 1 with padding K - 1 (a "full" convolution): every tap reads every coordinate once
    full = parse_spec("conv1d:1,7,3,padding=2")
    res3 = check_scheme(full.n, full.indices, geometry=full.geometry)
    assert not res3.condition_holds and np.linalg.matrix_rank(full.overlap_matrix()) == 1
    # a tap that reads only padding: dilation 2 on a 1-coordinate input, same padding
    scheme2 = parse_spec("conv1d:1,1,3,padding=same")
    res2 = check_scheme(scheme2.n, scheme2.indices, geometry=scheme2.geometry)
    assert not res2.condition_holds
    assert "reads a zero of the padding in every one" in res2.kernel_direction.explanation


# -- spec grammar, canonical form, errors --------------------------------------------------
def test_strict_1d_refusal_names_the_conv_form():
    with pytest.raises(
        ConvotronError, match=r"n - r = 28 is not divisible.*conv1d:1,33,5,stride=3"
    ):
        parse_spec("1d:33,5,3")
    with pytest.raises(ConvotronError, match=r"conv2d:3,10,10,3,3,stride=2"):
        parse_spec("2d:3,10,10,3,3,2,2")
    s = parse_spec("conv1d:1,33,5,stride=3")
    assert (s.k, s.r, s.n) == (10, 5, 33) and s.uncovered().tolist() == [32]


@pytest.mark.parametrize(
    "bad",
    [
        "conv1d:1,33",
        "conv1d:1,33,5,strid=3",
        "conv1d:1,33,5,stride=0",
        "conv1d:1,33,5,stride=2,padding=same",
        "conv1d:0,33,5",
        "conv1d:1,33,5,padding=-1",
        "conv2d:1,8,8,3,3,stride=2x2x2",
        "conv2d:1,8,8,3",
        "conv1d:1,33,5,stride=2,stride=3",
        "conv3d:1,2,3",
    ],
)
def test_malformed_conv_specs_are_refused_with_the_grammar(bad):
    with pytest.raises(ConvotronError, match=r"conv1d:C,L,K\[,stride=S\]"):
        parse_spec(bad)


def test_a_layer_with_no_output_is_refused():
    with pytest.raises(ConvotronError, match="has no output"):
        parse_spec("conv1d:1,3,5")


def test_canonical_spec_and_geometry():
    s = parse_spec(" CONV2D: 3, 32, 32, 5, 5, stride = 2, padding = 2 ")
    assert s.spec == "conv2d:3,32,32,5,5,stride=2,padding=2"
    assert (s.k, s.r, s.n) == (16 * 16, 75, 3 * 32 * 32)
    again = parse_spec(s.spec)
    np.testing.assert_array_equal(again.indices, s.indices)
    assert parse_spec("conv1d:1,8,3,padding=valid").spec == "conv1d:1,8,3"
    g = parse_spec("conv2d:1,5,6,2,3,padding=same,dilation=2x1").geometry
    assert (g["pad_top"], g["pad_bottom"], g["pad_left"], g["pad_right"]) == (1, 1, 1, 1)
    g = parse_spec("conv1d:1,6,2,padding=same").geometry  # odd total: the extra zero right
    assert (g["pad_left"], g["pad_right"]) == (0, 1)


def test_padded_scheme_round_trips_through_the_file_format(tmp_path):
    s = parse_spec("conv1d:2,5,3,stride=2,padding=1")
    path = tmp_path / "s.json"
    path.write_text(json.dumps(s.to_json()))
    again = parse_spec(f"file:{path}")
    np.testing.assert_array_equal(again.indices, s.indices)
    assert again.padded
    with pytest.raises(
        ConvotronError, match=r"got -2 at patch 0, position 1\. .*or -1 for a padded zero"
    ):
        PatchScheme.from_indices(4, [[0, -2]])


def test_is_disjoint_needs_a_padding_free_patch():
    s = parse_spec("conv1d:1,9,3,stride=3,padding=1")  # patches (pad,0,1), (2,3,4), (5,6,7)
    assert [s.is_disjoint(i) for i in range(s.k)] == [False, True, True]


def test_conv_matches_torch_when_installed():
    torch = pytest.importorskip("torch")
    scheme = parse_spec("conv2d:2,7,6,3,2,stride=2x1,padding=1,dilation=1x2")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, scheme.n))
    w = rng.standard_normal(scheme.r)
    conv = torch.nn.functional.conv2d(
        torch.tensor(x.reshape(1, 2, 7, 6)),
        torch.tensor(w.reshape(1, 2, 3, 2)),
        stride=(2, 1),
        padding=1,
        dilation=(1, 2),
    )
    np.testing.assert_allclose(preactivations(w, x, scheme)[0], conv.numpy().ravel(), atol=1e-12)


# -- the command line ----------------------------------------------------------------------
def _cli(argv, capsys):
    from convotron.cli import main

    status = main(argv)
    out = capsys.readouterr()
    return status, out.out, out.err


def test_cli_check_names_the_kernel_direction_of_a_singular_padded_layer(capsys):
    status, out, _ = _cli(["check", "--scheme", "conv1d:1,1,2,padding=1"], capsys)
    assert status == 1
    assert "kernel direction w = [1, -1]" in out
    assert "lem-1d: does not apply" in out and "lem-beta: applies" in out
    status, out, _ = _cli(["check", "--scheme", "conv1d:1,33,5,stride=3", "--json"], capsys)
    data = json.loads(out)
    assert status == 0 and (data["k"], data["r"], data["n"]) == (10, 5, 33)
    assert {row["claim"]: row["applies"] for row in data["lemmas_apply"]}["lem-1d"] is True


def test_cli_malformed_conv_spec_exits_2_with_the_grammar(capsys):
    status, _, err = _cli(["check", "--scheme", "conv1d:1,33,5,stride"], capsys)
    assert status == 2 and "conv1d:C,L,K[,stride=S]" in err


def test_cli_run_saves_the_filter_in_the_frameworks_layout(tmp_path, capsys):
    path = tmp_path / "w.npz"
    status, out, _ = _cli(
        ["run", "--scheme", "conv2d:2,6,5,3,2,stride=2,padding=1", "--iters", "300", "--json",
         "--save-filter", str(path)],
        capsys,
    )  # fmt: skip
    data = json.loads(out)
    assert status == 0 and data["filter_shape"] == [1, 2, 3, 2]
    saved = np.load(path)
    assert saved["weight"].shape == saved["w_star"].shape == (1, 2, 3, 2)
    np.testing.assert_allclose(saved["weight"].ravel(), data["w"])
    np.testing.assert_allclose(saved["w_star"].ravel(), data["w_star"])
    npy = tmp_path / "w.npy"
    status, out, _ = _cli(
        ["run", "--scheme", "1d:16,4,2", "--iters", "10", "--json", "--save-filter", str(npy)],
        capsys,
    )
    assert json.loads(out)["filter_shape"] == [1, 1, 4] and np.load(npy).shape == (1, 1, 4)


def test_cli_save_filter_refuses_other_suffixes_before_running(tmp_path, capsys):
    argv = ["run", "--scheme", "1d:16,4,2", "--save-filter", str(tmp_path / "w.txt")]
    status, out, err = _cli(argv, capsys)
    assert status == 2 and out == "" and "must name a .npy or .npz file" in err


def test_cli_version(capsys):
    from convotron import __version__
    from convotron.cli import main

    try:
        status = main(["--version"])
    except SystemExit as exc:  # argparse's action, unless run_guarded catches it
        status = exc.code
    assert status in (0, None)
    assert capsys.readouterr().out.strip() == f"convotron {__version__}"


@pytest.mark.parametrize(
    "spec", ["conv1d:2,7,3,stride=2,padding=2", "conv2d:1,4,5,3,2,padding=same"]
)
def test_fused_sampling_loop_reads_padding_as_zero_like_its_oracle(spec):
    from convotron.data.covariance import Identity
    from convotron.data.laws import LAWS, NoiseModel
    from convotron.learning import _sampling as S
    from convotron.learning._sampling_reference import fused_reference

    scheme = parse_spec(spec)
    tw = np.random.default_rng(5).standard_normal(scheme.r)
    law, cov, noise = LAWS["gaussian"], Identity(scheme.n), NoiseModel("none")
    args = (scheme.n, scheme.indices, 0.2, tw)
    kw = {"eta": 0.01, "iters": 50}
    fast = S.fused_convotron(
        *args, S.source_codes(law, cov, noise), rng=np.random.default_rng(1), **kw
    )
    ref = fused_reference(*args, law, cov, noise, rng=np.random.default_rng(1), **kw)
    assert fast.status == ref.status and np.array_equal(fast.w, ref.w)
