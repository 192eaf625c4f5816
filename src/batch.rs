//! Stage 4: batch.
//!
//! Packs sized entries, in record order, into calls that respect both the entry count and the
//! byte cap of the bus (each entry sized by the bus, see
//! [`EventBus::entry_size`](crate::bus::EventBus::entry_size)). An entry that alone exceeds the
//! cap is not sent; its record fails. Pure: no I/O.

use crate::bus::BatchLimits;

/// The result of batching: calls to make, and entries too large to send.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Each call's items (the indices given to [`plan`]), in order.
    pub(crate) batches: Vec<Vec<usize>>,
    /// Items that alone exceed the byte cap, with their size.
    pub(crate) oversize: Vec<(usize, usize)>,
}

/// Packs `(index, size)` items greedily, in the order given: a call is closed when the next item
/// would take it past either limit. An item larger than `max_bytes` is left out.
pub(crate) fn plan(items: impl IntoIterator<Item = (usize, usize)>, limits: BatchLimits) -> Plan {
    let mut out = Plan::default();
    let mut current: Vec<usize> = Vec::with_capacity(limits.max_entries);
    let mut current_bytes = 0;
    for (index, size) in items {
        if size > limits.max_bytes {
            out.oversize.push((index, size));
            continue;
        }
        if current.len() == limits.max_entries || current_bytes + size > limits.max_bytes {
            out.batches.push(std::mem::replace(
                &mut current,
                Vec::with_capacity(limits.max_entries),
            ));
            current_bytes = 0;
        }
        current.push(index);
        current_bytes += size;
    }
    if !current.is_empty() {
        out.batches.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: BatchLimits = BatchLimits {
        max_entries: 10,
        max_bytes: 262_144,
    };

    fn sizes(sizes: &[usize]) -> Vec<(usize, usize)> {
        sizes.iter().copied().enumerate().collect()
    }

    #[test]
    fn counts_10_and_11() {
        assert_eq!(
            plan(sizes(&[1; 10]), LIMITS).batches,
            vec![(0..10).collect::<Vec<_>>()]
        );
        let p = plan(sizes(&[1; 11]), LIMITS);
        assert_eq!(p.batches, vec![(0..10).collect::<Vec<_>>(), vec![10]]);
        let p = plan(sizes(&[1; 15]), LIMITS);
        assert_eq!(
            p.batches.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![10, 5]
        );
    }

    #[test]
    fn bytes_at_limit_minus_one_limit_and_plus_one() {
        let cap = LIMITS.max_bytes;
        // Two items summing to cap-1 and to cap share a call; cap+1 splits them.
        assert_eq!(plan(sizes(&[cap - 2, 1]), LIMITS).batches, vec![vec![0, 1]]);
        assert_eq!(plan(sizes(&[cap - 1, 1]), LIMITS).batches, vec![vec![0, 1]]);
        assert_eq!(
            plan(sizes(&[cap, 1]), LIMITS).batches,
            vec![vec![0], vec![1]]
        );
        // A single item of cap-1 and cap is sent; cap+1 is oversize.
        assert_eq!(plan(sizes(&[cap - 1]), LIMITS).batches, vec![vec![0]]);
        assert_eq!(plan(sizes(&[cap]), LIMITS).batches, vec![vec![0]]);
        let p = plan(sizes(&[cap + 1]), LIMITS);
        assert!(p.batches.is_empty());
        assert_eq!(p.oversize, vec![(0, cap + 1)]);
    }

    #[test]
    fn connector_examples() {
        let kib = 1024;
        assert_eq!(
            plan(sizes(&[255 * kib, kib, kib]), LIMITS).batches,
            vec![vec![0, 1], vec![2]]
        );
        assert_eq!(
            plan(sizes(&[256 * kib, 1, 1, 256 * kib]), LIMITS).batches,
            vec![vec![0], vec![1, 2], vec![3]]
        );
        // Oversize in the middle: left out, the neighbours still batch together.
        let p = plan(sizes(&[1, 256 * kib + 1, 1]), LIMITS);
        assert_eq!(p.batches, vec![vec![0, 2]]);
        assert_eq!(p.oversize, vec![(1, 256 * kib + 1)]);
        assert_eq!(plan(sizes(&[]), LIMITS), Plan::default());
    }

    #[test]
    fn other_limits() {
        let limits = BatchLimits {
            max_entries: 100,
            max_bytes: 1_048_576,
        };
        let p = plan(sizes(&[1; 250]), limits);
        assert_eq!(
            p.batches.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![100, 100, 50]
        );
    }
}
