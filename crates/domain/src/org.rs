//! The org chart: reporting lines must form a forest, never a cycle.

use std::collections::HashMap;

use crate::person::PersonId;

/// Would making `new_manager` the manager of `person` close a loop? `chain` is the reporting
/// chain above `new_manager`, starting with `new_manager` itself.
pub fn closes_cycle(person: PersonId, chain: &[PersonId]) -> bool {
    chain.contains(&person)
}

/// Find a reporting cycle in a whole org chart (person → manager). Returns one person on a
/// cycle, if there is one. Linear in the number of people.
pub fn find_cycle(manager_of: &HashMap<PersonId, PersonId>) -> Option<PersonId> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        InProgress,
        Done,
    }
    let mut marks: HashMap<PersonId, Mark> = HashMap::with_capacity(manager_of.len());
    for &start in manager_of.keys() {
        if marks.contains_key(&start) {
            continue;
        }
        let mut path = Vec::new();
        let mut current = Some(start);
        while let Some(p) = current {
            match marks.get(&p) {
                Some(Mark::InProgress) => return Some(p),
                Some(Mark::Done) => break,
                None => {
                    marks.insert(p, Mark::InProgress);
                    path.push(p);
                    current = manager_of.get(&p).copied();
                }
            }
        }
        for p in path {
            marks.insert(p, Mark::Done);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn detects_direct_and_long_cycles() {
        let (a, b, c, d) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        // a <- b <- c (c reports to b, b to a)
        let mut chart = HashMap::from([(b, a), (c, b)]);
        assert_eq!(find_cycle(&chart), None);
        assert!(closes_cycle(a, &[c, b, a]));
        assert!(!closes_cycle(d, &[c, b, a]));
        chart.insert(a, c);
        assert!(find_cycle(&chart).is_some());
        let self_loop = HashMap::from([(d, d)]);
        assert_eq!(find_cycle(&self_loop), Some(d));
    }
}
