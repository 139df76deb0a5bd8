//! The live state of a `start on`/`stop on` expression: which leaves have matched which event.
//!
//! Upstart's `EventOperator` tree, kept as a flat post-order array so that evaluating it is a
//! loop and no input can make it recurse deeply. A leaf that matches holds ("blocks") its
//! event until the condition is reset; the engine keeps the count, this module only reports.

use super::EventId;
use crate::environ::Env;
use crate::event::{matching, Event, EventExpr, EventMatch};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Leaf {
        /// Shared: a clone of the engine (its rollback) copies only the partial matches.
        leaf: std::rc::Rc<EventMatch>,
        /// The event that satisfied this leaf, while it is true.
        matched: Option<EventId>,
    },
    And {
        left: usize,
        right: usize,
        value: bool,
    },
    Or {
        left: usize,
        right: usize,
        value: bool,
    },
}

/// A `start on`/`stop on` expression with its partial matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Condition {
    /// Post-order: children before parents, the root last.
    nodes: Vec<Node>,
}

impl Condition {
    pub(crate) fn new(expr: &EventExpr) -> Self {
        // Post-order flattening with an explicit stack: (node, children already pushed?).
        let mut nodes = Vec::new();
        let mut stack: Vec<(&EventExpr, bool)> = vec![(expr, false)];
        let mut done: Vec<usize> = Vec::new();
        while let Some((expr, expanded)) = stack.pop() {
            match expr {
                EventExpr::Match(leaf) => {
                    done.push(nodes.len());
                    nodes.push(Node::Leaf {
                        leaf: std::rc::Rc::new(leaf.clone()),
                        matched: None,
                    });
                }
                EventExpr::And(left, right) | EventExpr::Or(left, right) => {
                    if expanded {
                        let right = done.pop().unwrap_or(0);
                        let left = done.pop().unwrap_or(0);
                        done.push(nodes.len());
                        nodes.push(match expr {
                            EventExpr::And(..) => Node::And {
                                left,
                                right,
                                value: false,
                            },
                            _ => Node::Or {
                                left,
                                right,
                                value: false,
                            },
                        });
                    } else {
                        stack.push((expr, true));
                        stack.push((right, false));
                        stack.push((left, false));
                    }
                }
            }
        }
        Condition { nodes }
    }

    fn value_of(&self, index: usize) -> bool {
        match self.nodes.get(index) {
            Some(Node::Leaf { matched, .. }) => matched.is_some(),
            Some(Node::And { value, .. }) | Some(Node::Or { value, .. }) => *value,
            None => false,
        }
    }

    /// Is the whole expression satisfied?
    pub(crate) fn value(&self) -> bool {
        self.nodes
            .len()
            .checked_sub(1)
            .is_some_and(|root| self.value_of(root))
    }

    /// Would [`Condition::handle`] match a leaf? Asked first so that an event that means
    /// nothing to a class leaves its (shared, see `table`) entry uncopied.
    pub(crate) fn would_match(&self, event: &Event, env: &Env) -> bool {
        self.nodes.iter().any(|node| match node {
            Node::Leaf { leaf, matched } => {
                matched.is_none() && leaf.name == event.name && matching::matches(leaf, event, env)
            }
            _ => false,
        })
    }

    /// Feeds one event; returns how many leaves newly matched it (each holds the event once).
    pub(crate) fn handle(&mut self, id: EventId, event: &Event, env: &Env) -> usize {
        let mut newly_matched = 0;
        for index in 0..self.nodes.len() {
            let update = match &self.nodes[index] {
                Node::Leaf { leaf, matched } => {
                    if matched.is_none()
                        && leaf.name == event.name
                        && matching::matches(leaf, event, env)
                    {
                        newly_matched += 1;
                        Some(None)
                    } else {
                        None
                    }
                }
                Node::And { left, right, .. } => {
                    Some(Some(self.value_of(*left) && self.value_of(*right)))
                }
                Node::Or { left, right, .. } => {
                    Some(Some(self.value_of(*left) || self.value_of(*right)))
                }
            };
            match (&mut self.nodes[index], update) {
                (Node::Leaf { matched, .. }, Some(None)) => *matched = Some(id),
                (Node::And { value, .. } | Node::Or { value, .. }, Some(Some(new))) => *value = new,
                _ => {}
            }
        }
        newly_matched
    }

    /// Clears every partial match; returns the events the leaves were holding (one per leaf).
    pub(crate) fn reset(&mut self) -> Vec<EventId> {
        let mut released = Vec::new();
        for node in &mut self.nodes {
            match node {
                Node::Leaf { matched, .. } => {
                    if let Some(id) = matched.take() {
                        released.push(id);
                    }
                }
                Node::And { value, .. } | Node::Or { value, .. } => *value = false,
            }
        }
        released
    }

    /// The events that make the expression true, left to right: the leaves that are true
    /// under true parents (Upstart's `event_operator_events()`/`_environment()` filter).
    pub(crate) fn contributing_events(&self) -> Vec<EventId> {
        let mut out = Vec::new();
        let Some(root) = self.nodes.len().checked_sub(1) else {
            return out;
        };
        // In-order walk: push right first so the left subtree comes out first.
        let mut stack = vec![root];
        while let Some(index) = stack.pop() {
            if !self.value_of(index) {
                continue;
            }
            match &self.nodes[index] {
                Node::Leaf {
                    matched: Some(id), ..
                } => out.push(*id),
                Node::Leaf { matched: None, .. } => {}
                Node::And { left, right, .. } | Node::Or { left, right, .. } => {
                    stack.push(*right);
                    stack.push(*left);
                }
            }
        }
        out
    }

    /// The event each leaf holds, leaves in order (for handing the state to a new image).
    pub(crate) fn matched(&self) -> Vec<Option<EventId>> {
        self.nodes
            .iter()
            .filter_map(|node| match node {
                Node::Leaf { matched, .. } => Some(*matched),
                _ => None,
            })
            .collect()
    }

    /// Puts back what [`Condition::matched`] returned and recomputes the operators.
    pub(crate) fn restore(&mut self, matched: &[Option<EventId>]) {
        let mut leaves = matched.iter();
        for index in 0..self.nodes.len() {
            let value = match &self.nodes[index] {
                Node::And { left, right, .. } => {
                    Some(self.value_of(*left) && self.value_of(*right))
                }
                Node::Or { left, right, .. } => Some(self.value_of(*left) || self.value_of(*right)),
                Node::Leaf { .. } => None,
            };
            match (&mut self.nodes[index], value) {
                (Node::Leaf { matched, .. }, _) => *matched = leaves.next().copied().flatten(),
                (Node::And { value, .. } | Node::Or { value, .. }, Some(new)) => *value = new,
                _ => {}
            }
        }
    }
}
