//! `oneonone seed --demo`: a small, realistic organisation to explore the API with. Running it
//! again changes nothing.

use oneonone_domain::person::{PersonDraft, PersonFields};
use oneonone_persistence::{Database, ImportRow};

use crate::auth::hash_password;

/// The demo password of every demo login.
pub const DEMO_PASSWORD: &str = "oneonone-demo-2026";

/// (external id, name, title, department, manager's external id)
const PEOPLE: [(&str, &str, &str, &str, Option<&str>); 20] = [
    (
        "demo-001",
        "Ada Lovelace",
        "Chief Executive Officer",
        "Leadership",
        None,
    ),
    (
        "demo-002",
        "Hannah Reyes",
        "Head of People",
        "People",
        Some("demo-001"),
    ),
    (
        "demo-003",
        "Grace Hopper",
        "VP Engineering",
        "Engineering",
        Some("demo-001"),
    ),
    (
        "demo-004",
        "Linus Okafor",
        "Engineering Manager, Platform",
        "Engineering",
        Some("demo-003"),
    ),
    (
        "demo-005",
        "Margaret Chen",
        "Engineering Manager, Apps",
        "Engineering",
        Some("demo-003"),
    ),
    (
        "demo-006",
        "Sam Novak",
        "Head of Sales",
        "Sales",
        Some("demo-001"),
    ),
    (
        "demo-007",
        "Priya Raman",
        "Senior Engineer",
        "Engineering",
        Some("demo-004"),
    ),
    (
        "demo-008",
        "Tom Becker",
        "Engineer",
        "Engineering",
        Some("demo-004"),
    ),
    (
        "demo-009",
        "Aisha Bello",
        "Engineer",
        "Engineering",
        Some("demo-004"),
    ),
    (
        "demo-010",
        "Jonas Berg",
        "Site Reliability Engineer",
        "Engineering",
        Some("demo-004"),
    ),
    (
        "demo-011",
        "Lucia Moreno",
        "Senior Engineer",
        "Engineering",
        Some("demo-005"),
    ),
    (
        "demo-012",
        "Kenji Sato",
        "Engineer",
        "Engineering",
        Some("demo-005"),
    ),
    (
        "demo-013",
        "Fatima Zahra",
        "Product Designer",
        "Engineering",
        Some("demo-005"),
    ),
    (
        "demo-014",
        "Oliver Grant",
        "Engineer",
        "Engineering",
        Some("demo-005"),
    ),
    (
        "demo-015",
        "Mia Johansson",
        "Account Executive",
        "Sales",
        Some("demo-006"),
    ),
    (
        "demo-016",
        "Diego Alvarez",
        "Account Executive",
        "Sales",
        Some("demo-006"),
    ),
    (
        "demo-017",
        "Chloe Martin",
        "Sales Development Rep",
        "Sales",
        Some("demo-006"),
    ),
    (
        "demo-018",
        "Noah Williams",
        "People Partner",
        "People",
        Some("demo-002"),
    ),
    (
        "demo-019",
        "Emma Schulz",
        "Recruiter",
        "People",
        Some("demo-002"),
    ),
    (
        "demo-020",
        "Ravi Patel",
        "Engineer",
        "Engineering",
        Some("demo-004"),
    ),
];

/// The logins `make run` prints: (email, what they show).
pub const DEMO_LOGINS: [(&str, &str); 3] = [
    ("hannah.reyes@example.com", "HR admin"),
    ("grace.hopper@example.com", "manager of managers"),
    ("priya.raman@example.com", "employee"),
];

fn email_of(name: &str) -> String {
    format!("{}@example.com", name.to_lowercase().replace(' ', "."))
}

/// Create or refresh the demo organisation.
pub async fn demo(db: &Database) -> anyhow::Result<()> {
    let mut rows = Vec::with_capacity(PEOPLE.len());
    for (ext, name, title, department, manager) in PEOPLE {
        let fields = PersonFields {
            email: email_of(name),
            display_name: name.into(),
            title: Some(title.into()),
            department: Some(department.into()),
            external_id: Some(ext.into()),
            active: true,
            ..PersonFields::default()
        };
        let draft = PersonDraft::parse(&fields, None).map_err(|e| anyhow::anyhow!("{e}"))?;
        rows.push(ImportRow {
            draft,
            manager_external_id: manager.map(str::to_owned),
        });
    }
    let outcome = db.import_people(&rows).await?;
    anyhow::ensure!(
        outcome.applied,
        "the demo organisation did not import: {:?}",
        outcome.rows
    );
    for (email, role) in DEMO_LOGINS {
        let id = db
            .person_id_by_email(email)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo person {email} missing"))?;
        if role == "HR admin" {
            let person = db.get_person(id).await?;
            if !person.hr_admin {
                let mut fields = person.fields();
                fields.hr_admin = true;
                let draft =
                    PersonDraft::parse(&fields, Some(id)).map_err(|e| anyhow::anyhow!("{e}"))?;
                db.update_person(id, None, &draft).await?;
            }
        }
        if db.password_hash(id).await?.is_none() {
            let hash = hash_password(DEMO_PASSWORD.to_owned())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            db.set_password_hash(id, &hash).await?;
        }
    }
    Ok(())
}
