"""An in-memory similarity index over article signatures (numpy/scipy).

Two views of each article are kept:

* a TF-IDF vector (sparse, L2-normalised): exact shared vocabulary, names and places;
* a latent semantic vector (dense, from a truncated SVD of the TF-IDF matrix): articles that are
  about the same thing in different words ("flood barrier" and "river defences") still meet.

The similarity of two articles blends the two. Vectors of articles added after the index was
built use the IDF and the SVD basis of the build ("folding in"); a periodic rebuild refreshes
them. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp

# Weight of the TF-IDF cosine in the blended similarity; the rest is the latent cosine.
TFIDF_SHARE = 0.5
LATENT_DIMENSIONS = 64
# Terms seen in fewer articles than this carry no topical signal for the latent view.
LATENT_MIN_DF = 2
EXTRA_BLOCK = 512
LOOKUP_SLICE = 1 << 20


@dataclass(frozen=True)
class Document:
    doc_id: int
    day: float  # publication time in days since the epoch
    terms: np.ndarray  # uint32 term ids
    weights: np.ndarray  # float32 weights before IDF


def _orthonormal(tall: np.ndarray) -> np.ndarray:
    """Q of a thin QR, in single precision and in place: numpy's QR works on a double copy with
    more workspace (about 200 MB more at 100,000 articles)."""
    return scipy.linalg.qr(tall, mode="economic", overwrite_a=True, check_finite=False)[0]


def _randomized_svd_basis(matrix: _LatentRows, rank: int, seed: int = 7) -> np.ndarray:
    """The top right singular vectors of ``matrix`` (rank x columns), by the randomised method
    of Halko, Martinsson and Tropp: a random projection, two power iterations, a small SVD."""
    rng = np.random.default_rng(seed)
    oversample = min(rank + 10, min(matrix.shape))
    omega = rng.standard_normal((matrix.shape[1], oversample), dtype=np.float32)
    sample = matrix.times(omega)
    del omega
    for _ in range(2):
        sample = _orthonormal(sample)
        sample = matrix.times(matrix.transposed_times(sample))
    basis = _orthonormal(sample)
    del sample
    small = matrix.transposed_times(basis).T  # oversample x columns
    del basis
    # The right singular vectors of ``small`` from its small Gram matrix: an SVD of ``small``
    # itself would hold several double-precision copies of it (hundreds of MB at 100k articles).
    gram = (small @ small.T).astype(np.float64)
    values, vectors = np.linalg.eigh(gram)
    order = np.argsort(values)[::-1][:rank]
    singular = np.sqrt(np.clip(values[order], 1e-12, None))
    vt = (vectors[:, order].T.astype(np.float32) @ small) / singular[:, None].astype(np.float32)
    return np.ascontiguousarray(vt, dtype=np.float32)


class _LatentRows:
    """The TF-IDF matrix restricted to the latent view's terms, renumbered to the latent
    columns, made a slice of rows at a time for each product: a copy of the whole (data, new
    indices and the mask to make them) would cost about 130 MB more at 100,000 articles."""

    def __init__(self, tfidf: sp.csr_matrix, latent_column: np.ndarray, columns: int) -> None:
        self.tfidf = tfidf
        self.latent_column = latent_column
        self.shape = (tfidf.shape[0], columns)
        mean_length = max(tfidf.nnz // max(tfidf.shape[0], 1), 1)
        self.step = max(LOOKUP_SLICE // mean_length, 1)

    def _slices(self) -> Iterator[tuple[int, int, sp.csr_matrix]]:
        indptr = self.tfidf.indptr
        for start in range(0, self.shape[0], self.step):
            stop = min(start + self.step, self.shape[0])
            low, high = int(indptr[start]), int(indptr[stop])
            mapped = self.latent_column[self.tfidf.indices[low:high]]
            keep = mapped >= 0
            kept_before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
            part = sp.csr_matrix(
                (
                    self.tfidf.data[low:high][keep],
                    mapped[keep],
                    kept_before[indptr[start : stop + 1] - low],
                ),
                shape=(stop - start, self.shape[1]),
            )
            yield start, stop, part

    def times(self, dense: np.ndarray) -> np.ndarray:
        """``matrix @ dense``"""
        out = np.empty((self.shape[0], dense.shape[1]), dtype=np.float32)
        for start, stop, part in self._slices():
            out[start:stop] = part @ dense
        return out

    def transposed_times(self, dense: np.ndarray) -> np.ndarray:
        """``matrix.T @ dense``"""
        out = np.zeros((self.shape[1], dense.shape[1]), dtype=np.float32)
        for start, stop, part in self._slices():
            out += part.T @ dense[start:stop]
        return out


def widen(matrix: sp.csr_matrix, columns: int) -> sp.csr_matrix:
    """The same rows with more (empty) columns: terms added to the index after them."""
    if matrix.shape[1] == columns:
        return matrix
    return sp.csr_matrix(
        (matrix.data, matrix.indices, matrix.indptr), shape=(matrix.shape[0], columns)
    )


def _normalise_rows_in_place(dense: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    dense /= norms
    return dense


def _writable(array: np.ndarray, dtype: type[np.generic]) -> np.ndarray:
    """``array`` itself when it can be changed in place as ``dtype``, else a copy."""
    if array.dtype == dtype and array.flags.writeable:
        return array
    return array.astype(dtype)


def _columns_in_place(terms: np.ndarray, vocabulary: np.ndarray) -> np.ndarray:
    """The column (position in ``vocabulary``) of each term, written over the terms' own
    buffer a slice at a time: each slice is read before it is overwritten, and
    unique(return_inverse=True) would hold several int64 arrays of the archive's size."""
    columns = _writable(terms, np.uint32).view(np.int32)
    for start in range(0, len(columns), LOOKUP_SLICE):
        stop = start + LOOKUP_SLICE
        columns[start:stop] = np.searchsorted(vocabulary, columns[start:stop].view(np.uint32))
    return columns


def _normalise_csr_rows(data: np.ndarray, indptr: np.ndarray) -> None:
    """Scale each row's entries of ``data`` to unit length, in place, a slice of rows at a time
    (whole-matrix temporaries would cost as much as the data itself)."""
    rows = len(indptr) - 1
    mean_length = max(len(data) // max(rows, 1), 1)
    step = max(LOOKUP_SLICE // mean_length, 1)
    for start in range(0, rows, step):
        stop = min(start + step, rows)
        low, high = int(indptr[start]), int(indptr[stop])
        part = data[low:high]
        # Sums of squares per row from a running total: reduceat mishandles empty rows.
        running = np.concatenate([[0.0], np.cumsum(np.square(part, dtype=np.float64))])
        bounds = indptr[start : stop + 1] - low
        norms = np.sqrt(running[bounds[1:]] - running[bounds[:-1]]).astype(np.float32)
        norms[norms == 0] = 1.0
        part /= np.repeat(norms, np.diff(bounds))


class SimilarityIndex:
    @classmethod
    def from_documents(cls, documents: Sequence[Document]) -> SimilarityIndex:
        empty_terms, empty_weights = np.zeros(0, np.uint32), np.zeros(0, np.float32)
        return cls(
            ids=np.array([d.doc_id for d in documents], dtype=np.int64),
            days=np.array([d.day for d in documents], dtype=np.float64),
            lengths=np.array([len(d.terms) for d in documents], dtype=np.int64),
            terms=np.concatenate([d.terms for d in documents]) if documents else empty_terms,
            weights=np.concatenate([d.weights for d in documents]) if documents else empty_weights,
        )

    def __init__(
        self,
        *,
        ids: np.ndarray,
        days: np.ndarray,
        lengths: np.ndarray,
        terms: np.ndarray,
        weights: np.ndarray,
    ) -> None:
        """Build from flat arrays: each document's terms and weights, one after another.

        The index takes over ``terms`` and ``weights``: they become its TF-IDF matrix in place
        (the terms' buffer is overwritten with column numbers), so building costs little more
        than the arrays themselves.
        """
        count = len(ids)
        self.ids = ids.astype(np.int64)
        self.days = days.astype(np.float64)
        self.position = {int(doc_id): i for i, doc_id in enumerate(self.ids)}
        self.active = np.ones(count, dtype=bool)

        vocabulary = np.unique(terms)
        columns = _columns_in_place(terms, vocabulary)
        del terms
        self.vocabulary = vocabulary
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        df = np.bincount(columns, minlength=len(vocabulary)).astype(np.float32)
        n = max(count, 1)
        self.idf = (np.log((n + 1) / (df + 1)) + 1.0).astype(np.float32)
        self.unseen_idf = float(np.log(n + 1) + 1.0)
        data = _writable(weights, np.float32)
        del weights
        for start in range(0, len(data), LOOKUP_SLICE):
            stop = start + LOOKUP_SLICE
            data[start:stop] *= self.idf[columns[start:stop]]
        _normalise_csr_rows(data, indptr)
        self.base_tfidf = sp.csr_matrix((data, columns, indptr), shape=(count, len(vocabulary)))
        del data, columns

        # The latent view covers terms shared by at least two articles, in columns of its own.
        latent_columns = np.flatnonzero(df >= LATENT_MIN_DF)
        self.latent_column = np.full(len(vocabulary), -1, dtype=np.int32)
        self.latent_column[latent_columns] = np.arange(len(latent_columns), dtype=np.int32)
        rank = min(LATENT_DIMENSIONS, max(count - 1, 1), max(len(latent_columns) - 1, 1))
        if count > 2 and len(latent_columns) > rank:
            masked = _LatentRows(self.base_tfidf, self.latent_column, len(latent_columns))
            self.basis = _randomized_svd_basis(masked, rank)
            self.base_latent = _normalise_rows_in_place(masked.times(self.basis.T))
        else:
            self.basis = np.zeros((0, len(latent_columns)), dtype=np.float32)
            self.base_latent = np.zeros((count, 0), dtype=np.float32)
        self.base_size = count
        self.columns = len(vocabulary)
        self.new_columns: dict[int, int] = {}
        self.extra_rows: list[sp.csr_matrix] = []
        self._frozen: list[sp.csr_matrix] = []
        self._extra_latent = np.zeros((0, self.base_latent.shape[1]), dtype=np.float32)

    def __len__(self) -> int:
        return int(self.active.sum())

    # --- vectors of a document that may or may not be in the index ----------------------------
    def vectors(
        self, document: Document, *, grow: bool = False
    ) -> tuple[sp.csr_matrix, np.ndarray]:
        """The document's TF-IDF row and latent vector, in the index's current columns.

        Terms the build never saw get columns of their own when ``grow`` is set (documents being
        added), with the IDF of a term seen once: two new stories about a new name still meet.
        Otherwise they only count towards the vector's length. The latent view knows only the
        build's terms.
        """
        terms = document.terms
        found = np.searchsorted(self.vocabulary, terms)
        found = np.clip(found, 0, max(len(self.vocabulary) - 1, 0))
        known = (
            self.vocabulary[found] == terms
            if len(self.vocabulary)
            else np.zeros(len(terms), dtype=bool)
        )
        columns = found.astype(np.int64)
        idf = np.zeros(len(terms), dtype=np.float32)
        idf[known] = self.idf[columns[known]]
        keep = known.copy()
        for i in np.flatnonzero(~known):
            term = int(terms[i])
            column = self.new_columns.get(term)
            if column is None and grow:
                column = self.new_columns[term] = self.columns
                self.columns += 1
            idf[i] = self.unseen_idf
            if column is not None:
                columns[i] = column
                keep[i] = True
        values = document.weights.astype(np.float32) * idf
        norm = float(np.sqrt(np.sum(values**2))) or 1.0
        row = sp.csr_matrix(
            (values[keep] / norm, columns[keep].astype(np.int32), [0, int(keep.sum())]),
            shape=(1, self.columns),
            dtype=np.float32,
        )
        if self.basis.shape[0]:
            in_build = row.indices < len(self.vocabulary)
            mapped = np.full(len(row.indices), -1, dtype=np.int32)
            mapped[in_build] = self.latent_column[row.indices[in_build]]
            keep = mapped >= 0
            latent = self.basis[:, mapped[keep]] @ row.data[keep]
            length = float(np.linalg.norm(latent)) or 1.0
            latent = (latent / length).astype(np.float32)
        else:
            latent = np.zeros(0, dtype=np.float32)
        row.sort_indices()
        return row, latent

    # --- changes after the build -----------------------------------------------------------------
    # Documents added or changed after the build go to an "extra" region, so a publish costs
    # about one small block, not a copy of the whole index. A replaced base row is deactivated.
    # The extra rows are kept in frozen blocks of EXTRA_BLOCK rows plus one open block.
    def upsert(self, document: Document) -> None:
        """Add or replace a document, folded into the existing vocabulary and basis."""
        row, latent = self.vectors(document, grow=True)
        old = self.position.get(document.doc_id)
        if old is not None and old >= self.base_size:
            extra_index = old - self.base_size
            self.extra_rows[extra_index] = row
            self._frozen = self._frozen[: extra_index // EXTRA_BLOCK]
            if self.base_latent.shape[1]:
                self._extra_latent[extra_index] = latent
            self.days[old] = document.day
            self.active[old] = True
            return
        if old is not None:
            self.active[old] = False
        self.position[document.doc_id] = len(self.ids)
        self.ids = np.append(self.ids, document.doc_id)
        self.days = np.append(self.days, document.day)
        self.active = np.append(self.active, True)
        self.extra_rows.append(row)
        if self.base_latent.shape[1]:
            count = len(self.extra_rows)
            if count > len(self._extra_latent):  # grow by doubling: appends stay O(1) amortised
                grown = np.zeros((max(16, 2 * count), self.base_latent.shape[1]), np.float32)
                grown[: count - 1] = self._extra_latent[: count - 1]
                self._extra_latent = grown
            self._extra_latent[count - 1] = latent

    @property
    def extra_latent_matrix(self) -> np.ndarray:
        if not self.base_latent.shape[1]:
            return np.zeros((len(self.extra_rows), 0), dtype=np.float32)
        return self._extra_latent[: len(self.extra_rows)]

    def extra_blocks(self) -> list[sp.csr_matrix]:
        """The extra rows as CSR blocks with the index's current number of columns."""
        full = len(self.extra_rows) // EXTRA_BLOCK
        while len(self._frozen) < full:
            start = len(self._frozen) * EXTRA_BLOCK
            rows = self.extra_rows[start : start + EXTRA_BLOCK]
            self._frozen.append(sp.vstack([widen(r, self.columns) for r in rows], format="csr"))
        blocks = [widen(block, self.columns) for block in self._frozen]
        tail = self.extra_rows[full * EXTRA_BLOCK :]
        if tail:
            blocks.append(sp.vstack([widen(r, self.columns) for r in tail], format="csr"))
        return blocks

    def remove(self, doc_id: int) -> None:
        index = self.position.get(doc_id)
        if index is not None:
            self.active[index] = False

    def row(self, doc_id: int) -> tuple[sp.csr_matrix, np.ndarray] | None:
        """The stored vectors of an indexed document."""
        index = self.position.get(doc_id)
        if index is None:
            return None
        if index < self.base_size:
            return self.base_tfidf[index], self.base_latent[index]
        extra_index = index - self.base_size
        return self.extra_rows[extra_index], self.extra_latent_matrix[extra_index]

    # --- batch access used by the ranking engine ---------------------------------------------
    def coarse_scores(self, rows: sp.csr_matrix, latents: np.ndarray) -> np.ndarray:
        """Cheap similarity of a batch of queries to every document (inactive: -inf): latent
        cosines when there is a latent view, TF-IDF cosines otherwise."""
        if self.base_latent.shape[1]:
            # Written in place: stacking the base and extra parts would copy the whole matrix.
            scores = np.empty((latents.shape[0], len(self.ids)), dtype=np.float32)
            np.matmul(latents, self.base_latent.T, out=scores[:, : self.base_size])
            np.matmul(latents, self.extra_latent_matrix.T, out=scores[:, self.base_size :])
        else:
            rows = widen(rows, self.columns)
            parts = [(rows[:, : self.base_tfidf.shape[1]] @ self.base_tfidf.T).toarray()]
            parts += [(rows @ block.T).toarray() for block in self.extra_blocks()]
            scores = np.hstack(parts)
        scores[:, ~self.active] = -np.inf
        return scores

    def tfidf_rows(self, positions: np.ndarray) -> sp.csr_matrix:
        in_base = positions < self.base_size
        if in_base.all():
            return widen(self.base_tfidf[positions], self.columns)
        extra = [self.extra_rows[p - self.base_size] for p in positions[~in_base]]
        stacked = sp.vstack(
            [widen(self.base_tfidf[positions[in_base]], self.columns)]
            + [widen(r, self.columns) for r in extra],
            format="csr",
        )
        # Put the rows back in the order asked for.
        order = np.concatenate([np.flatnonzero(in_base), np.flatnonzero(~in_base)])
        return stacked[np.argsort(order)]

    def latent_rows(self, positions: np.ndarray) -> np.ndarray:
        out = np.zeros((len(positions), self.base_latent.shape[1]), dtype=np.float32)
        if not out.shape[1]:
            return out
        in_base = positions < self.base_size
        out[in_base] = self.base_latent[positions[in_base]]
        out[~in_base] = self.extra_latent_matrix[positions[~in_base] - self.base_size]
        return out
