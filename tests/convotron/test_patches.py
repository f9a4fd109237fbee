"""Patch schemes: constructors, structural invariants, oracles, known spectra, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convotron import ConvotronError
from convotron.data.covariance import AR1, Dense, Diagonal, Identity
from convotron.geometry.patches import PatchScheme, parse_spec
from tests import reference as ref
from tests.strategies import (
    covariances,
    index_schemes,
    schemes,
    schemes_1d,
    schemes_2d,
    schemes_2d_channels,
)

# -- constructors against independent builders -----------------------------------------------


@given(schemes_1d(max_k=10, max_r=10))
def test_stride_1d_patch_i_covers_a_contiguous_window(scheme):
    g = scheme.geometry
    for i in range(scheme.k):
        assert list(scheme.indices[i]) == list(range(i * g["stride"], i * g["stride"] + g["r"]))
    assert scheme.n == (scheme.k - 1) * g["stride"] + scheme.r
    assert scheme.spec == f"1d:{g['n']},{g['r']},{g['stride']}"


@given(st.one_of(schemes_2d(), schemes_2d_channels()))
def test_stride_2d_matches_slicing_a_coordinate_image(scheme):
    g = scheme.geometry
    c = g.get("channels", 1)
    image = np.arange(scheme.n).reshape(c, g["height"], g["width"])  # channel-major, row-major
    expected = []
    for py in range(g["k_h"]):
        for px in range(g["k_w"]):
            y, x = py * g["stride_h"], px * g["stride_w"]
            expected.append(image[:, y : y + g["patch_h"], x : x + g["patch_w"]].ravel())
    np.testing.assert_array_equal(scheme.indices, np.asarray(expected))
    assert scheme.r == c * g["patch_h"] * g["patch_w"]


@given(schemes())
def test_canonical_spec_round_trips(scheme):
    if scheme.spec is None:
        return
    again = parse_spec(scheme.spec)
    assert again.spec == scheme.spec
    np.testing.assert_array_equal(again.indices, scheme.indices)


def test_parse_spec_is_lenient_on_case_and_spaces():
    s = parse_spec("  1D : 16, 4 ,2 ")
    assert s.spec == "1d:16,4,2" and (s.n, s.k, s.r) == (16, 7, 4)
    assert parse_spec("2d:1,9,10,3,4,2,3").spec == "2d:9,10,3,4,2,3"
    assert parse_spec("2d:3,5,5,3,3,1,1").geometry["kind"] == "2d-channels"


def test_indices_are_read_only_int64():
    s = PatchScheme.from_indices(4, [[0, 1], [2, 3]])
    assert s.indices.dtype == np.int64 and not s.indices.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        s.indices[0, 0] = 3


# -- patch operators against the definition ---------------------------------------------------


@given(st.one_of(index_schemes(), schemes_1d(max_k=5, max_r=5)))
def test_patch_operators_match_the_definition(scheme):
    ops = ref.patch_operators(scheme.n, scheme.indices)
    np.testing.assert_array_equal(scheme.patch_matrices(), np.asarray(ops))
    for i, P_i in enumerate(ops):
        np.testing.assert_array_equal(scheme.patch_matrix(i), P_i)
        np.testing.assert_array_equal(P_i @ P_i.T, np.eye(scheme.r, dtype=np.int64))
    np.testing.assert_array_equal(scheme.P(), ref.patch_sum(scheme.n, scheme.indices))
    np.testing.assert_array_equal(scheme.P_sparse().toarray(), scheme.P())


@given(index_schemes(), st.integers(1, 5))
def test_patches_select_the_indexed_coordinates(scheme, m):
    X = np.arange(m * scheme.n, dtype=float).reshape(m, scheme.n)
    Pt = scheme.patches(X)
    assert Pt.shape == (m, scheme.k, scheme.r)
    ops = ref.patch_operators(scheme.n, scheme.indices)
    for t in range(m):
        for i, P_i in enumerate(ops):
            np.testing.assert_array_equal(Pt[t, i], P_i @ X[t])


# -- the overlap matrix M = P Σ Pᵀ --------------------------------------------------------------


@given(schemes())
def test_identity_overlap_is_exact_and_equals_the_double_sum(scheme):
    M = scheme.overlap_matrix()
    assert M.dtype == np.int64
    np.testing.assert_array_equal(M, ref.overlap_matrix(scheme.n, scheme.indices))
    np.testing.assert_array_equal(scheme.overlap_matrix(Identity(scheme.n)), M)


@given(
    st.one_of(index_schemes(), schemes_1d(max_k=6, max_r=6)).flatmap(
        lambda s: st.tuples(st.just(s), covariances(s.n))
    )
)
def test_structured_overlap_equals_the_double_sum(pair):
    scheme, cov = pair
    M = scheme.overlap_matrix(cov)
    oracle = ref.overlap_matrix(scheme.n, scheme.indices, cov.dense())
    scale = max(1.0, float(np.abs(oracle).max()))
    np.testing.assert_allclose(M, oracle, rtol=0, atol=1e-12 * scale)
    np.testing.assert_array_equal(M, M.T)


def test_ar1_overlap_never_forms_the_n_by_n_matrix():
    # n = 2**20 would need 8 TiB as a dense matrix; P Σ Pᵀ needs O(n r).
    scheme = PatchScheme.stride_1d(2**20, 4, 2**20 - 4)  # two disjoint patches at the ends
    M = scheme.overlap_matrix(AR1(scheme.n, 0.5))
    oracle = np.array([[0.5 ** abs(a - b) for b in range(4)] for a in range(4)])
    far = 0.5 ** (2**20 - 4)  # cross-terms between the ends underflow to 0
    np.testing.assert_allclose(M, 2 * oracle + 2 * far, rtol=1e-12)


@given(schemes())
def test_overlap_is_symmetric_psd_with_trace_at_least_rk(scheme):
    M = scheme.overlap_matrix()
    np.testing.assert_array_equal(M, M.T)
    assert np.linalg.eigvalsh(M.astype(float))[0] >= -1e-9 * max(1, M.max())
    # tr(PPᵀ) = Σ_{a,c} P_ac² >= Σ_{a,c} P_ac = r k, since P_ac are non-negative integers
    assert int(np.trace(M)) >= scheme.r * scheme.k
    assert int(M.sum()) == int((scheme.P().sum(axis=0) ** 2).sum())  # 1ᵀ P Pᵀ 1 = ‖Pᵀ1‖²


@pytest.mark.claim("lem-1d-structure")
@given(st.one_of(schemes_1d(max_k=10, max_r=10), schemes_2d(), schemes_2d_channels()))
def test_stride_schemes_have_diagonal_k_and_trace_rk(scheme):
    M = scheme.overlap_matrix()
    np.testing.assert_array_equal(np.diag(M), np.full(scheme.r, scheme.k))
    assert int(np.trace(M)) == scheme.r * scheme.k


@pytest.mark.claim("lem-1d-structure")
@given(schemes_1d(max_k=10, max_r=10))
def test_1d_overlap_entries_follow_the_closed_form(scheme):
    d, k = scheme.geometry["stride"], scheme.k
    M = scheme.overlap_matrix()
    for a in range(scheme.r):
        for b in range(scheme.r):
            lag = abs(a - b)
            expected = max(k - lag // d, 0) if lag % d == 0 else 0
            assert M[a, b] == expected


@given(index_schemes(), st.randoms(use_true_random=False))
def test_overlap_and_coverage_do_not_depend_on_patch_order(scheme, random):
    order = list(range(scheme.k))
    random.shuffle(order)
    other = PatchScheme.from_indices(scheme.n, scheme.indices[order])
    np.testing.assert_array_equal(other.overlap_matrix(), scheme.overlap_matrix())
    np.testing.assert_array_equal(other.uncovered(), scheme.uncovered())


@pytest.mark.claim("lem-2d-kron")
@given(schemes_2d())
def test_2d_overlap_is_the_kronecker_product_of_the_axes(scheme):
    g = scheme.geometry
    rows = PatchScheme.stride_1d(g["height"], g["patch_h"], g["stride_h"])
    cols = PatchScheme.stride_1d(g["width"], g["patch_w"], g["stride_w"])
    np.testing.assert_array_equal(
        scheme.overlap_matrix(), np.kron(rows.overlap_matrix(), cols.overlap_matrix())
    )


@pytest.mark.claim("lem-cov-transfer")
@given(
    st.one_of(index_schemes(), schemes_1d(max_k=6, max_r=6)).flatmap(
        lambda s: st.tuples(st.just(s), covariances(s.n))
    )
)
def test_covariance_transfer_bounds(pair):
    scheme, cov = pair
    ev_p = np.linalg.eigvalsh(scheme.overlap_matrix().astype(float))
    ev_m = np.linalg.eigvalsh(scheme.overlap_matrix(cov))
    tol = 1e-9 * max(1.0, ev_m[-1])
    assert ev_m[0] >= cov.lambda_min() * ev_p[0] - tol
    assert ev_m[-1] <= cov.lambda_max() * ev_p[-1] + tol


# -- known numbers (spec §7) and the lemmas -----------------------------------------------------


def _extremes(scheme):
    ev = np.linalg.eigvalsh(scheme.overlap_matrix().astype(float))
    return ev[0], ev[-1]


@pytest.mark.claim("lem-1d")
def test_known_spectrum_n16_r4_d2():
    s = parse_spec("1d:16,4,2")
    assert s.k == 7
    lo, hi = _extremes(s)
    assert lo == pytest.approx(1.0, abs=1e-12) and hi == pytest.approx(13.0, abs=1e-12)


@pytest.mark.claim("lem-1d")
def test_known_spectrum_n64_r8_d2():
    s = parse_spec("1d:64,8,2")
    assert s.k == 29
    lo, _ = _extremes(s)
    assert lo == pytest.approx(2 - math.sqrt(2), abs=1e-12)


@pytest.mark.claim("lem-2d")
def test_known_spectrum_2d():
    s = PatchScheme.stride_2d(9, 10, 3, 4, 2, 3)
    assert (s.k, s.r) == (4 * 3, 12)
    lo, hi = _extremes(s)
    assert lo == pytest.approx(1.0, abs=1e-12) and hi == pytest.approx(35.0, abs=1e-12)


@pytest.mark.claim("lem-1d")
def test_small_spectrum_when_k_below_ceil_r_over_d():
    lo, _ = _extremes(parse_spec("1d:9,8,1"))  # r=8, d=1, k=2 (spec §5: 0.1206..)
    assert 0.12 < lo < 0.121


@pytest.mark.claim("lem-1d")
@given(schemes_1d(max_k=12, max_r=10))
def test_lemma_1d_bounds(scheme):
    d, k, r = scheme.geometry["stride"], scheme.k, scheme.r
    m = math.ceil(r / d)
    lo, hi = _extremes(scheme)
    if d >= r:
        np.testing.assert_array_equal(scheme.overlap_matrix(), k * np.eye(r, dtype=np.int64))
    if k >= m:
        assert lo >= 0.5 - 1e-9
        assert hi <= k * m + 1e-9
    if r / 2 < d < r and k >= m:
        assert lo == pytest.approx(1.0, abs=1e-9)


@pytest.mark.claim("lem-2d")
@given(schemes_2d(max_k=5, max_r=4))
def test_lemma_2d_bounds(scheme):
    g = scheme.geometry
    m1, m2 = math.ceil(g["patch_h"] / g["stride_h"]), math.ceil(g["patch_w"] / g["stride_w"])
    if g["k_h"] >= m1 and g["k_w"] >= m2:
        lo, hi = _extremes(scheme)
        assert lo >= 0.25 - 1e-9
        assert hi <= scheme.k * m1 * m2 + 1e-9


# -- coverage, disjointness, JSON ---------------------------------------------------------------


@given(schemes())
def test_uncovered_and_disjoint_match_brute_force(scheme):
    covered = {int(c) for row in scheme.indices for c in row}
    assert list(scheme.uncovered()) == [c for c in range(scheme.n) if c not in covered]
    for i in range(scheme.k):
        others = {int(c) for j, row in enumerate(scheme.indices) if j != i for c in row}
        assert scheme.is_disjoint(i) == others.isdisjoint(int(c) for c in scheme.indices[i])


def test_stride_larger_than_patch_leaves_gaps_but_ppt_stays_definite():
    s = parse_spec("1d:10,2,4")  # patches {0,1}, {4,5}, {8,9}
    assert list(s.uncovered()) == [2, 3, 6, 7]
    assert all(s.is_disjoint(i) for i in range(s.k))
    np.testing.assert_array_equal(s.overlap_matrix(), 3 * np.eye(2, dtype=np.int64))


@given(schemes())
def test_json_file_round_trip(scheme):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scheme.json"
        path.write_text(json.dumps(scheme.to_json()))
        again = parse_spec(f"file:{path}")
    assert again.spec == f"file:{path}" and again.n == scheme.n
    np.testing.assert_array_equal(again.indices, scheme.indices)


# -- errors: what, rule, value, fix -------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "indices", "match"),
    [
        (
            4,
            [[0, 1], [2, 4]],
            r"indices must lie in 0\.\.n-1 \(n=4\); got 4 at patch 1, position 1",
        ),
        (4, [[0, -2]], r"must lie in 0\.\.n-1 \(n=4\); got -2"),
        (4, [[0, 1], [2, 2]], r"must be distinct .* patch 1 repeats coordinate 2"),
        (4, [[0, 1], [2]], r"rectangular \(k, r\) array .* same size r"),
        (4, [[0.0, 1.0]], r"indices must be integers .* got dtype float64"),
        (4, [[True, False]], r"indices must be integers .* got dtype bool"),
        (4, [], r"at least one patch .* empty array of shape \(0,\)"),
        (4, [[]], r"at least one patch .* empty array of shape \(1, 0\)"),
        (4, [0, 1], r"2-D \(k, r\) array .* 1 dimension"),
        (2, [[0, 1, 2]], r"patch cannot be larger than the input: r <= n .* r=3"),
        (0, [[0]], r"n \(the input dimension\) must be an integer with 1 <= n .*got 0"),
        (4.0, [[0]], r"n \(the input dimension\) must be an integer .*got 4\.0"),
        (4, "01", r"got a string"),
        (4, [["a", "b"]], r"indices must be integers"),
        (4, [[0, None]], r"rectangular \(k, r\) array of integers"),
    ],
)
def test_from_indices_errors(n, indices, match):
    with pytest.raises(ConvotronError, match=match):
        PatchScheme.from_indices(n, indices)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (
            (17, 4, 2),
            r"n = \(k-1\)\*stride \+ r: n - r = 13 is not divisible by stride=2 "
            r"\(n=17, r=4\)\. Use n=16 \(k=7\) or n=18 \(k=8\)",
        ),
        ((16, 4, 0), r"^stride must be an integer with stride >= 1; got 0\. Pass a whole"),
        ((16, 0, 2), r"^r \(the patch size\) must be an integer with r >= 1; got 0\."),
        ((3, 4, 1), r"patch cannot be larger than the input: r <= n is required; got r=4, n=3"),
        ((16, 4, 2.0), r"^stride must be an integer with stride >= 1; got 2\.0\."),
        ((16, True, 2), r"^r \(the patch size\) must be an integer .*; got True\."),
        (
            (2**30, 1, 1),
            r"n \(the input dimension\) must be an integer with 1 <= n <= 16777216; got 1073741824",
        ),
        ((2**24, 2**12, 1), r"k\*r <= \d+ index entries; got k=16773121, r=4096"),
    ],
)
def test_stride_1d_errors(args, match):
    with pytest.raises(ConvotronError, match=match):
        PatchScheme.stride_1d(*args)


def test_stride_2d_errors_name_the_axis():
    with pytest.raises(ConvotronError, match=r"height = \(k-1\)\*stride_h \+ patch_h \(vertical"):
        PatchScheme.stride_2d(10, 10, 3, 3, 2, 1)
    with pytest.raises(ConvotronError, match=r"larger than the input \(horizontal axis\)"):
        PatchScheme.stride_2d(10, 2, 3, 3, 1, 1)
    with pytest.raises(
        ConvotronError, match=r"^channels must be an integer with channels >= 1; got 0\."
    ):
        PatchScheme.stride_2d_channels(0, 5, 5, 3, 3, 1, 1)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("3d:1,2,3", r"unknown scheme spec '3d:1,2,3'; the accepted forms are '1d:N,R,STRIDE'"),
        ("1d16,4,2", r"unknown scheme spec"),
        ("1d:16,4", r"must be '1d:N,R,STRIDE' with 3 comma-separated whole numbers; got '16,4'"),
        ("1d:16,4,x", r"with 3 comma-separated whole numbers"),
        ("1d:16,4,2.5", r"with 3 comma-separated whole numbers"),
        ("2d:9,10,3,4,2", r"with 6 or 7 comma-separated whole numbers"),
        ("1d:17,4,2", r"Use n=16 \(k=7\) or n=18 \(k=8\)"),
        ("1d:16,4,-2", r"stride must be an integer with stride >= 1; got -2\."),
        ("file:", r"names no file"),
        ("1d:" + "9" * 30 + ",1,1", r"which is too large: .* n <= 16777216"),
    ],
)
def test_parse_spec_errors(spec, match):
    with pytest.raises(ConvotronError, match=match):
        parse_spec(spec)


def test_parse_spec_rejects_non_strings():
    with pytest.raises(ConvotronError, match=r"^spec \(a scheme spec\) must be a string; got int"):
        parse_spec(16)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (None, r"does not exist .* Check the path"),
        ("{", r"is not valid JSON \(Expecting property name .* line 1"),
        ("[1, 2]", r"must hold a JSON object .* got a JSON list"),
        ('{"indices": [[0]]}', r"lacks the key\(s\) 'n'"),
        ('{"n": 3}', r"lacks the key\(s\) 'indices'"),
        ('{"n": 3.0, "indices": [[0]]}', r'"n" must be a whole number >= 1; got 3\.0'),
        ('{"n": 3, "indices": 5}', r'"indices" must be a list of patches .* got int'),
        ('{"n": 3, "indices": [[0, 3]]}', r"must lie in 0\.\.n-1 \(n=3\); got 3"),
        ('{"n": 3, "indices": [[0, 1], [true, 2]]}', r"patch 1 holds a JSON boolean"),
        (b"\xff\xfe", r"is not UTF-8 text"),
    ],
)
def test_file_spec_errors(tmp_path, content, match):
    path = tmp_path / "s.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ConvotronError, match=match):
        parse_spec(f"file:{path}")


def test_file_spec_folder_error(tmp_path):
    with pytest.raises(ConvotronError, match=r"is a folder, not a file"):
        parse_spec(f"file:{tmp_path}")


def test_method_errors():
    s = parse_spec("1d:16,4,2")
    with pytest.raises(
        ConvotronError, match=r"^i \(the patch index\) must be an integer with 0 <= i < 7; got 7\."
    ):
        s.patch_matrix(7)
    with pytest.raises(ConvotronError, match=r"^i \(the patch index\) .* got -1\."):
        s.is_disjoint(-1)
    with pytest.raises(
        ConvotronError,
        match=r"inputs must have shape \(m, n\) or \(n,\) with n=16; got shape \(3, 15\)",
    ):
        s.patches(np.zeros((3, 15)))
    with pytest.raises(
        ConvotronError, match=r"covariance has dimension 15 but the scheme has n=16"
    ):
        s.overlap_matrix(AR1(15, 0.5))
    with pytest.raises(
        ConvotronError, match=r"covariance has dimension 15 but the scheme has n=16"
    ):
        s.overlap_matrix(Identity(15))
    with pytest.raises(ConvotronError, match=r"cov must be a Covariance or None; got str"):
        s.overlap_matrix("ar1:0.5")
    big = PatchScheme.stride_1d(2**22, 64, 2**22 - 64)
    with pytest.raises(
        ConvotronError, match=r"P\(\) would have \d+ entries, above the limit .* Use P_sparse\(\)"
    ):
        big.P()
    assert big.overlap_matrix(Diagonal(np.ones(big.n))).shape == (64, 64)


def test_dense_covariance_overlap_agrees_with_ar1():
    s = parse_spec("1d:12,4,2")
    ar = AR1(12, -0.3)
    np.testing.assert_allclose(
        s.overlap_matrix(Dense(ar.dense())), s.overlap_matrix(ar), atol=1e-12
    )
