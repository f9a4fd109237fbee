"""The book labels that ARCHITECTURE.md lists (the registry and the book both carry them)."""

ARCHITECTURE_LABELS = {
    "def-model", "alg-convotron", "lem-symmetric", "lem-drift", "lem-progress",
    "lem-second-moment", "lem-one-step", "thm-convotron", "cor-realizable", "cor-noisy",
    "lem-beta", "lem-1d", "lem-1d-sos", "lem-1d-structure", "lem-2d", "lem-2d-kron",
    "lem-cov-transfer", "thm-disjoint", "cor-1d-instantiated",
    "lem-conv-reduction", "lem-conv-upper", "lem-conv-padded", "lem-exact-k", "lem-linear-mse",
}  # fmt: skip

#: The preconditioned Convotron's labels (book/preconditioned.md; [derived], not GKM18's).
ARCHITECTURE_LABELS |= {
    "alg-precond", "lem-exact-kh", "lem-whitened", "lem-precond-one-step", "thm-precond",
    "cor-precond-whitened", "thm-precond-plugin",
}  # fmt: skip
