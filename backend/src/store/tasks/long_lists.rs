//! Which owners' lists ran past their page last time: a hint that picks
//! how a page's total is counted, never what it is.
//!
//! A page that holds every match knows its total (offset plus its rows),
//! so a list read with one row to spare needs no count. A longer list then
//! needs a second query; counting inside the page's own statement is
//! cheaper for it. Most owners' lists fit in a page, a few never do, and an
//! owner's next list usually looks like their last, so the store remembers
//! which kind each owner had. Both ways answer the same: a wrong hint (a
//! new owner, two owners in one slot, a list that just grew) costs one
//! query, not a wrong total.

use std::sync::atomic::{AtomicBool, Ordering};

use uuid::Uuid;

/// Slots, one bit of memory each; owners share a slot by their id's low
/// bits, random in the UUIDs this store mints.
const SLOTS: usize = 4096;

#[derive(Debug)]
pub(crate) struct LongLists {
    slots: Box<[AtomicBool]>,
}

impl Default for LongLists {
    fn default() -> Self {
        Self {
            slots: (0..SLOTS).map(|_| AtomicBool::new(false)).collect(),
        }
    }
}

impl LongLists {
    /// Whether `owner`'s last list ran past its page.
    pub(crate) fn expects_more(&self, owner: Uuid) -> bool {
        self.slot(owner).load(Ordering::Relaxed)
    }

    pub(crate) fn remember(&self, owner: Uuid, ran_past_its_page: bool) {
        self.slot(owner).store(ran_past_its_page, Ordering::Relaxed);
    }

    fn slot(&self, owner: Uuid) -> &AtomicBool {
        &self.slots[owner.as_u128() as usize % SLOTS]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owner_is_expected_to_list_as_they_did_last() {
        let lists = LongLists::default();
        let (long, short) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(!lists.expects_more(long), "nothing known: a page is enough");
        lists.remember(long, true);
        lists.remember(short, false);
        assert!(lists.expects_more(long));
        assert!(!lists.expects_more(short));
        lists.remember(long, false);
        assert!(!lists.expects_more(long));
    }
}
