//! The organisation as a tree: which units lie at or under a unit, however deep the bank nests them.
//!
//! Every data-scope question asks it here — the store's customer and staff filters, the audience
//! engine's scope, channel codes, the console's choices — so they cannot disagree, and none of them
//! assumes how many levels there are. It is built from the units as stored and trusts none of their
//! links: a unit whose parent is missing is a root of its own, and a cycle is walked once, never forever.

use std::collections::{HashMap, HashSet};

use crate::ids::OrgUnitId;
use crate::org::OrgUnit;

/// Who hangs under whom, by unit id.
#[derive(Debug, Clone, Default)]
pub struct OrgTree {
    /// Each unit's parent as recorded (which may name no unit).
    parent: HashMap<OrgUnitId, Option<OrgUnitId>>,
    /// Each unit's children, in the order the units were given.
    children: HashMap<OrgUnitId, Vec<OrgUnitId>>,
    /// Every unit once, in the order given.
    units: Vec<OrgUnitId>,
}

impl OrgTree {
    pub fn new(units: &[OrgUnit]) -> Self {
        Self::from_links(units.iter().map(|u| (u.id, u.parent_id)))
    }

    /// From `(unit, parent)` pairs, as the store reads them. A unit given twice keeps its first parent,
    /// so every unit has one parent at most and a walk down agrees with a climb up.
    pub fn from_links(links: impl IntoIterator<Item = (OrgUnitId, Option<OrgUnitId>)>) -> Self {
        let mut tree = Self::default();
        for (id, parent) in links {
            if tree.parent.contains_key(&id) {
                continue;
            }
            tree.parent.insert(id, parent);
            tree.units.push(id);
            if let Some(p) = parent {
                tree.children.entry(p).or_default().push(id);
            }
        }
        tree
    }

    /// How many units the tree holds.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// `root` and every unit below it, parents before children (level by level, each level in the
    /// order the units were given); empty when no unit is `root`.
    pub fn subtree(&self, root: OrgUnitId) -> Vec<OrgUnitId> {
        if !self.parent.contains_key(&root) {
            return Vec::new();
        }
        let mut seen = HashSet::from([root]);
        let mut out = vec![root];
        let mut next = 0;
        while let Some(&unit) = out.get(next) {
            next += 1;
            for &child in self.children_of(unit) {
                // A unit met again went round a cycle.
                if seen.insert(child) {
                    out.push(child);
                }
            }
        }
        out
    }

    /// Whether `unit` is `root` or lies below it: the answer `subtree(root)` gives, found by climbing
    /// from `unit` instead of listing the subtree.
    pub fn contains(&self, root: OrgUnitId, unit: OrgUnitId) -> bool {
        if !self.parent.contains_key(&root) {
            return false;
        }
        let mut at = unit;
        // No climb that stays off a cycle takes more steps than there are units.
        for _ in 0..=self.units.len() {
            if at == root {
                return true;
            }
            match self.parent.get(&at) {
                Some(Some(p)) => at = *p,
                _ => return false,
            }
        }
        false
    }

    /// Every unit once with its depth, each followed by the units below it (depth first), as a tree is
    /// shown. Roots come first in the order given (units with no parent, or a parent that is missing),
    /// then any unit a cycle kept out of reach, so no unit drops off the list.
    pub fn tree_order(&self) -> Vec<(OrgUnitId, usize)> {
        let is_root =
            |u: &OrgUnitId| self.parent.get(u).is_none_or(|p| p.is_none_or(|p| !self.parent.contains_key(&p)));
        let starts = self.units.iter().filter(|u| is_root(u)).chain(self.units.iter().filter(|u| !is_root(u)));
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(self.units.len());
        for &start in starts {
            if !seen.insert(start) {
                continue;
            }
            let mut stack = vec![(start, 0)];
            while let Some((unit, depth)) = stack.pop() {
                out.push((unit, depth));
                // Reversed onto the stack, so children come off it in their given order.
                for &child in self.children_of(unit).iter().rev() {
                    if seen.insert(child) {
                        stack.push((child, depth + 1));
                    }
                }
            }
        }
        out
    }

    fn children_of(&self, unit: OrgUnitId) -> &[OrgUnitId] {
        self.children.get(&unit).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: i64) -> OrgUnitId {
        OrgUnitId::new(n)
    }

    fn tree(links: &[(i64, Option<i64>)]) -> OrgTree {
        OrgTree::from_links(links.iter().map(|&(u, p)| (id(u), p.map(id))))
    }

    /// 总行 1 → 分行 2 → 二级分行 3 → 支行 4 → 网点 5 and 6; a sibling line 2 → 7 → 8 → 9; and a
    /// second branch 10 → 11. Children listed before their parents on purpose.
    fn five_levels() -> OrgTree {
        tree(&[
            (5, Some(4)),
            (6, Some(4)),
            (4, Some(3)),
            (3, Some(2)),
            (2, Some(1)),
            (1, None),
            (7, Some(2)),
            (8, Some(7)),
            (9, Some(8)),
            (10, Some(1)),
            (11, Some(10)),
        ])
    }

    fn ids(v: &[i64]) -> Vec<OrgUnitId> {
        v.iter().copied().map(id).collect()
    }

    #[test]
    fn a_subtree_reaches_five_levels_down_parents_first() {
        let t = five_levels();
        assert_eq!(t.subtree(id(1)), ids(&[1, 2, 10, 3, 7, 11, 4, 8, 5, 6, 9]));
        assert_eq!(t.subtree(id(2)), ids(&[2, 3, 7, 4, 8, 5, 6, 9]));
        assert_eq!(t.subtree(id(3)), ids(&[3, 4, 5, 6]));
        assert_eq!(t.subtree(id(5)), ids(&[5]));
        assert!(t.contains(id(2), id(5)), "a unit four levels below");
        assert!(t.contains(id(1), id(6)), "a unit at the fifth level is under head office");
        assert!(!t.contains(id(3), id(9)), "the sibling line is not under 3");
        assert!(!t.contains(id(7), id(5)));
        assert!(!t.contains(id(5), id(4)), "a parent is not under its child");
        assert!(t.contains(id(4), id(4)), "a unit is in its own subtree");
    }

    #[test]
    fn an_unknown_unit_has_an_empty_subtree_and_contains_nothing() {
        let t = five_levels();
        assert!(t.subtree(id(99)).is_empty());
        assert!(!t.contains(id(99), id(99)));
        assert!(!t.contains(id(1), id(99)));
        assert!(OrgTree::default().subtree(id(1)).is_empty());
    }

    #[test]
    fn a_unit_whose_parent_is_missing_heads_its_own_subtree() {
        // 3's parent 42 does not exist.
        let t = tree(&[(1, None), (2, Some(1)), (3, Some(42)), (4, Some(3))]);
        assert_eq!(t.subtree(id(1)), ids(&[1, 2]));
        assert_eq!(t.subtree(id(3)), ids(&[3, 4]));
        assert!(t.subtree(id(42)).is_empty());
        assert!(!t.contains(id(42), id(3)), "a missing parent contains nothing, as its subtree says");
        assert!(!t.contains(id(1), id(4)));
        assert_eq!(t.tree_order(), vec![(id(1), 0), (id(2), 1), (id(3), 0), (id(4), 1)]);
    }

    #[test]
    fn a_cycle_is_walked_once_and_never_forever() {
        // 2 ↔ 3 point at each other, 4 hangs under 3, 5 under itself; 1 is a proper root.
        let t = tree(&[(1, None), (2, Some(3)), (3, Some(2)), (4, Some(3)), (5, Some(5))]);
        assert_eq!(t.subtree(id(2)), ids(&[2, 3, 4]));
        assert_eq!(t.subtree(id(3)), ids(&[3, 2, 4]));
        assert_eq!(t.subtree(id(5)), ids(&[5]));
        assert_eq!(t.subtree(id(1)), ids(&[1]));
        assert!(t.contains(id(2), id(4)) && t.contains(id(3), id(2)));
        assert!(!t.contains(id(1), id(4)), "a climb round the cycle gives up");
        assert!(!t.contains(id(4), id(2)));
        let order = t.tree_order();
        assert_eq!(order.len(), 5, "every unit is listed once: {order:?}");
        assert_eq!(order[0], (id(1), 0));
    }

    #[test]
    fn contains_agrees_with_subtree_on_every_pair() {
        let trees = [
            five_levels(),
            tree(&[(1, None), (2, Some(3)), (3, Some(2)), (4, Some(3)), (5, Some(5)), (6, Some(42)), (7, Some(6))]),
            // A unit listed twice keeps its first parent.
            tree(&[(1, None), (2, Some(1)), (3, Some(2)), (3, Some(1)), (4, Some(3))]),
        ];
        for t in &trees {
            for root in 0..=12 {
                let under = t.subtree(id(root));
                for unit in 0..=12 {
                    assert_eq!(t.contains(id(root), id(unit)), under.contains(&id(unit)), "{root} ∋ {unit}?");
                }
            }
        }
    }

    #[test]
    fn tree_order_lists_each_unit_after_its_parent_depth_first() {
        let t = five_levels();
        let order: Vec<(i64, usize)> = t.tree_order().into_iter().map(|(u, d)| (u.get(), d)).collect();
        assert_eq!(order, [(1, 0), (2, 1), (3, 2), (4, 3), (5, 4), (6, 4), (7, 2), (8, 3), (9, 4), (10, 1), (11, 2)]);
        assert_eq!(t.len(), 11);
    }

    #[test]
    fn built_from_units_as_from_their_links() {
        let unit = |n: i64, parent: Option<i64>| OrgUnit {
            id: id(n),
            kind: crate::org::OrgUnitKind::Branch,
            parent_id: parent.map(id),
            code: format!("U{n}"),
            name: format!("单位{n}"),
            location: None,
        };
        let t = OrgTree::new(&[unit(1, None), unit(2, Some(1)), unit(3, Some(2))]);
        assert_eq!(t.subtree(id(1)), ids(&[1, 2, 3]));
    }
}
