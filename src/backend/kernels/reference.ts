// Plain-loop references for the kernels in this folder; tests compare the kernels (and their
// gradients) against these. Written for clarity, not speed, and deliberately by a different
// route than the kernels (index arithmetic per output element).

export interface Dense {
  values: Float64Array;
  shape: number[];
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * C = op(A)·op(B) over the last two axes, op = transpose when the flag is set. Leading (batch)
 * axes must have the same rank; each pair must be equal or one of them 1 (broadcast).
 */
export function matMulReference(
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): Dense {
  const r = aShape.length;
  if (r < 2 || bShape.length !== r) throw new Error('matMulReference: operands need the same rank ≥ 2');
  const [aRows, aCols] = [aShape[r - 2]!, aShape[r - 1]!];
  const [bRows, bCols] = [bShape[r - 2]!, bShape[r - 1]!];
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const n = transposeB ? bRows : bCols;
  if ((transposeB ? bCols : bRows) !== k) throw new Error('matMulReference: inner sizes differ');
  const batchShape = aShape.slice(0, r - 2).map((d, i) => Math.max(d, bShape[i]!));
  const out = new Float64Array(size(batchShape) * m * n);
  const batchIndex = new Array<number>(batchShape.length).fill(0);
  for (let batch = 0; batch < size(batchShape); batch++) {
    // Unravel the batch number, then find each operand's batch offset (size-1 axes broadcast).
    let rest = batch;
    for (let i = batchShape.length - 1; i >= 0; i--) {
      batchIndex[i] = rest % batchShape[i]!;
      rest = Math.floor(rest / batchShape[i]!);
    }
    let aBatch = 0;
    let bBatch = 0;
    for (let i = 0; i < batchShape.length; i++) {
      aBatch = aBatch * aShape[i]! + (aShape[i] === 1 ? 0 : batchIndex[i]!);
      bBatch = bBatch * bShape[i]! + (bShape[i] === 1 ? 0 : batchIndex[i]!);
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) {
          const av = a[aBatch * aRows * aCols + (transposeA ? p * aCols + i : i * aCols + p)]!;
          const bv = b[bBatch * bRows * bCols + (transposeB ? j * bCols + p : p * bCols + j)]!;
          acc += av * bv;
        }
        out[(batch * m + i) * n + j] = acc;
      }
    }
  }
  return { values: out, shape: [...batchShape, m, n] };
}

/** out[s, …] = Σ over i with ids[i] = s of data[i, …]; ids outside [0, numSegments) are dropped. */
export function segmentSumReference(
  data: ArrayLike<number>,
  dataShape: readonly number[],
  ids: ArrayLike<number>,
  idsRank: number,
  numSegments: number,
): Dense {
  const rowShape = dataShape.slice(idsRank);
  const row = size(rowShape);
  const out = new Float64Array(numSegments * row);
  // Segment by segment, scanning all ids each time: slow and obviously right.
  for (let s = 0; s < numSegments; s++) {
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] !== s) continue;
      for (let j = 0; j < row; j++) out[s * row + j]! += data[i * row + j]!;
    }
  }
  return { values: out, shape: [numSegments, ...rowShape] };
}

/**
 * tf.gather(x, indices, axis, batchDims): output shape x[:axis] + indices[batchDims:] + x[axis+1:],
 * each output element located by unravelling its index.
 */
export function gatherReference(
  x: ArrayLike<number>,
  xShape: readonly number[],
  indices: ArrayLike<number>,
  indicesShape: readonly number[],
  axis: number,
  batchDims: number,
): Dense {
  const outShape = [...xShape.slice(0, axis), ...indicesShape.slice(batchDims), ...xShape.slice(axis + 1)];
  const out = new Float64Array(size(outShape));
  const xStrides = strides(xShape);
  const indicesStrides = strides(indicesShape);
  const idxRankTail = indicesShape.length - batchDims;
  for (let flat = 0; flat < out.length; flat++) {
    const pos = unravel(flat, outShape);
    const leading = pos.slice(0, axis); // batch axes then the outer axes of x
    const chosen = pos.slice(axis, axis + idxRankTail); // position within indices after the batch axes
    const trailing = pos.slice(axis + idxRankTail);
    const indexPos = [...leading.slice(0, batchDims), ...chosen];
    const id = indices[indexPos.reduce((acc, p, i) => acc + p * indicesStrides[i]!, 0)]!;
    const xPos = [...leading, id, ...trailing];
    out[flat] = x[xPos.reduce((acc, p, i) => acc + p * xStrides[i]!, 0)]!;
  }
  return { values: out, shape: outShape };
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const pos = new Array<number>(shape.length).fill(0);
  for (let i = shape.length - 1; i >= 0; i--) {
    pos[i] = flat % shape[i]!;
    flat = Math.floor(flat / shape[i]!);
  }
  return pos;
}

/** Σ of x over `axes` (any set), output keeping the other axes in order: each output element by unravelling. */
export function sumReference(x: ArrayLike<number>, shape: readonly number[], axes: readonly number[]): Dense {
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const outShape = kept.map((i) => shape[i]!);
  const out = new Float64Array(size(outShape));
  const xStrides = strides(shape);
  for (let flat = 0; flat < size(shape); flat++) {
    const pos = unravel(flat, shape);
    const outPos = kept.map((i) => pos[i]!);
    const outFlat = outPos.reduce((acc, p, i) => acc * outShape[i]! + p, 0);
    out[outFlat]! += x[pos.reduce((acc, p, i) => acc + p * xStrides[i]!, 0)]!;
  }
  return { values: out, shape: outShape };
}

/** tf.split(x, sizes, axis): part j holds the indices [offset_j, offset_j + sizes[j]) along `axis`. */
export function splitReference(x: ArrayLike<number>, shape: readonly number[], sizes: readonly number[], axis: number): Dense[] {
  const xStrides = strides(shape);
  let offset = 0;
  return sizes.map((partSize) => {
    const partShape = shape.map((d, i) => (i === axis ? partSize : d));
    const values = new Float64Array(size(partShape));
    for (let flat = 0; flat < values.length; flat++) {
      const pos = unravel(flat, partShape);
      pos[axis]! += offset;
      values[flat] = x[pos.reduce((acc, p, i) => acc + p * xStrides[i]!, 0)]!;
    }
    offset += partSize;
    return { values, shape: partShape };
  });
}

/** tf.transpose(x, perm): out position p reads x at the position whose axis perm[i] is p[i]. */
export function transposeReference(x: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): Dense {
  const outShape = perm.map((axis) => shape[axis]!);
  const out = new Float64Array(size(outShape));
  const xStrides = strides(shape);
  for (let flat = 0; flat < out.length; flat++) {
    const pos = unravel(flat, outShape);
    let from = 0;
    perm.forEach((axis, i) => (from += pos[i]! * xStrides[axis]!));
    out[flat] = x[from]!;
  }
  return { values: out, shape: outShape };
}
