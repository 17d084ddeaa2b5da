//! Action items: commitments made in a 1:1, owned by one participant.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// Where an action item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionStatus {
    Open,
    Done,
    Cancelled,
}

crate::string_enum!(ActionStatus {
    Open => "open",
    Done => "done",
    Cancelled => "cancelled",
});

/// An action item as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionItem {
    pub id: Uuid,
    /// The meeting it was agreed in.
    pub meeting_id: Uuid,
    pub series_id: Option<Uuid>,
    pub assignee_id: Uuid,
    pub created_by: Uuid,
    pub manager_id: Uuid,
    pub report_id: Uuid,
    pub title: String,
    pub due_date: Option<NaiveDate>,
    pub status: ActionStatus,
    pub completed_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ActionItem {
    /// Open and past its due date (in UTC).
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status == ActionStatus::Open && self.due_date.is_some_and(|d| d < today)
    }

    pub fn participants(&self) -> [Uuid; 2] {
        [self.manager_id, self.report_id]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overdue_means_open_and_late() {
        let now = Utc::now();
        let today = now.date_naive();
        let mut item = ActionItem {
            id: Uuid::now_v7(),
            meeting_id: Uuid::now_v7(),
            series_id: None,
            assignee_id: Uuid::now_v7(),
            created_by: Uuid::now_v7(),
            manager_id: Uuid::now_v7(),
            report_id: Uuid::now_v7(),
            title: "Write the RFC".into(),
            due_date: today.pred_opt(),
            status: ActionStatus::Open,
            completed_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        assert!(item.overdue(today));
        item.status = ActionStatus::Done;
        assert!(!item.overdue(today));
        item.status = ActionStatus::Open;
        item.due_date = Some(today);
        assert!(!item.overdue(today));
    }
}
