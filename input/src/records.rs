//! The records of a job, one list per job type.

/// The three kinds of MatchKraft job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobType {
    /// Website URLs, scanned for email addresses.
    DomainScan,
    /// Email addresses, validated.
    EmailValidation,
    /// Contacts (a person and their company's website), whose emails are found.
    EmailFinder,
}

impl JobType {
    /// The name the API and the command use: `domain-scan`, `email-validation`,
    /// `email-finder`.
    pub fn as_str(self) -> &'static str {
        match self {
            JobType::DomainScan => "domain-scan",
            JobType::EmailValidation => "email-validation",
            JobType::EmailFinder => "email-finder",
        }
    }
}

/// A person whose email the email finder looks for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Contact {
    pub first_name: String,
    pub last_name: String,
    pub website: String,
}

/// A job's records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Records {
    DomainScan(Vec<String>),
    EmailValidation(Vec<String>),
    EmailFinder(Vec<Contact>),
}

impl Records {
    /// No records of `job_type`.
    pub fn empty(job_type: JobType) -> Records {
        match job_type {
            JobType::DomainScan => Records::DomainScan(Vec::new()),
            JobType::EmailValidation => Records::EmailValidation(Vec::new()),
            JobType::EmailFinder => Records::EmailFinder(Vec::new()),
        }
    }

    pub fn job_type(&self) -> JobType {
        match self {
            Records::DomainScan(_) => JobType::DomainScan,
            Records::EmailValidation(_) => JobType::EmailValidation,
            Records::EmailFinder(_) => JobType::EmailFinder,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Records::DomainScan(list) | Records::EmailValidation(list) => list.len(),
            Records::EmailFinder(list) => list.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The text fields of record `index` (one, or a contact's three).
    pub fn fields(&self, index: usize) -> Vec<&str> {
        match self {
            Records::DomainScan(list) | Records::EmailValidation(list) => vec![list[index].as_str()],
            Records::EmailFinder(list) => {
                let c = &list[index];
                vec![c.first_name.as_str(), c.last_name.as_str(), c.website.as_str()]
            }
        }
    }

    /// `more` after these records.
    ///
    /// # Panics
    ///
    /// When `more` is of another job type: the callers read one job's
    /// records, of one type.
    pub fn append(&mut self, more: Records) {
        match (self, more) {
            (Records::DomainScan(a), Records::DomainScan(b))
            | (Records::EmailValidation(a), Records::EmailValidation(b)) => a.extend(b),
            (Records::EmailFinder(a), Records::EmailFinder(b)) => a.extend(b),
            (this, more) => panic!(
                "records of one job type: {:?} and {:?}",
                this.job_type(),
                more.job_type()
            ),
        }
    }

    /// The records whose index `keep` accepts, in order.
    pub fn retain_indices(self, keep: impl Fn(usize) -> bool) -> Records {
        fn filter<T>(list: Vec<T>, keep: impl Fn(usize) -> bool) -> Vec<T> {
            list.into_iter()
                .enumerate()
                .filter(|(i, _)| keep(*i))
                .map(|(_, item)| item)
                .collect()
        }
        match self {
            Records::DomainScan(list) => Records::DomainScan(filter(list, keep)),
            Records::EmailValidation(list) => Records::EmailValidation(filter(list, keep)),
            Records::EmailFinder(list) => Records::EmailFinder(filter(list, keep)),
        }
    }
}
