//! What an import did (the JSON report) and why it did not.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
}

impl Counts {
    pub(super) fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }
}

/// One application of the file and its client id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientReport {
    pub name: String,
    pub client_id: String,
    pub outcome: Outcome,
}

/// What an import did, per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub resources: Counts,
    pub scopes: Counts,
    pub roles: Counts,
    pub users: Counts,
    pub organization_scopes: Counts,
    pub organization_roles: Counts,
    pub organizations: Counts,
    pub applications: Counts,
    pub clients: Vec<ClientReport>,
}

impl ImportReport {
    /// True when the import created or updated anything.
    pub fn changed(&self) -> bool {
        [
            self.resources,
            self.scopes,
            self.roles,
            self.users,
            self.organization_scopes,
            self.organization_roles,
            self.organizations,
            self.applications,
        ]
        .iter()
        .any(|c| c.created > 0 || c.updated > 0)
    }
}

/// One thing wrong with the file: the entry (`applications[1] (Photo SPA)`), the field
/// (`redirect_uris[0]`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub entry: String,
    pub field: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.entry, self.message)
        } else {
            write!(f, "{}: {}: {}", self.entry, self.field, self.message)
        }
    }
}

#[derive(Debug)]
pub enum ImportError {
    /// The file is not TOML of the expected shape.
    Parse(String),
    /// The file is well-formed but wrong; nothing was written.
    Invalid(Vec<Problem>),
    /// The database failed while the named entry was being written.
    Storage { entry: String, error: RepoError },
    /// A password could not be hashed.
    Password { entry: String, error: PasswordError },
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Parse(e) => write!(f, "the import file is not valid: {e}"),
            ImportError::Invalid(problems) => {
                write!(f, "the import file has {} problem(s); nothing was written:", problems.len())?;
                for p in problems {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
            ImportError::Storage { entry, error } => write!(f, "{entry}: {error}"),
            ImportError::Password { entry, error } => write!(f, "{entry}: password: {error}"),
        }
    }
}

impl std::error::Error for ImportError {}

pub(super) fn storage(entry: &str) -> impl FnOnce(RepoError) -> ImportError + '_ {
    move |error| ImportError::Storage { entry: entry.to_owned(), error }
}
