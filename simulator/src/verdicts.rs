//! Deterministic results: what each submitted record turns into.
//!
//! Every function here is a pure function of its input. A test can therefore
//! compute the exact result the simulator will report for a record, and the
//! same record gives the same answer on every run and every machine. The
//! fixtures are tiny and made up: they exist so that a handful of inputs reach
//! every branch a client has to handle, not to resemble real data.
//!
//! Domains, local parts and hosts are compared case-insensitively (ASCII).
//!
//! # Email validation ([`validate_email`])
//!
//! The rules are checked in this order; the first that matches wins.
//!
//! | # | When                                                              | `status`     | `verified` | `reason`                       |
//! |---|-------------------------------------------------------------------|--------------|------------|--------------------------------|
//! | 1 | not exactly one `@`, empty local part, or a domain without a `.`  | `invalid`    | false      | `syntax`                       |
//! | 2 | domain in [`DISPOSABLE_DOMAINS`]                                  | `disposable` | false      | `disposable domain`            |
//! | 3 | local part starts with `spamtrap`                                 | `spam_trap`  | false      | `known spam trap`              |
//! | 4 | local part in [`ROLE_LOCAL_PARTS`]                                | `role`       | false      | `role-based address`           |
//! | 5 | domain in [`CATCH_ALL_DOMAINS`]                                   | `catch_all`  | false      | `domain accepts all addresses` |
//! | 6 | domain in [`KNOWN_DOMAINS`]                                       | `valid`      | true       | `mailbox exists`               |
//! | 7 | anything else                                                     | `unknown`    | false      | `no answer from mail server`   |
//!
//! `spam_trap` and `catch_all` are spelled with an underscore on purpose: a
//! client has to normalise the spelling the real service uses.
//!
//! `domain` is the text after the last `@`, lowercased (empty without an `@`).
//! `mxFound` is true when the syntax is fine and the domain is in any of the
//! three domain fixtures (disposable, catch-all, known): the simulator "knows"
//! a mail server only for domains it has heard of.
//!
//! # Email finder ([`find_email`])
//!
//! The website is reduced to its host with [`host_of`]; the host is looked up
//! in [`COMPANIES`]. Names are lowercased and everything but ASCII letters and
//! digits is dropped (`"José"` → `"jos"`).
//!
//! | Host                  | `pattern`    | Example for Arseniy Grusha  | `confidence` |
//! |-----------------------|--------------|-----------------------------|--------------|
//! | `dataprana.io`        | `first`      | `arseniy@dataprana.io`      | 97           |
//! | `zuckerbergmedia.com` | `first.last` | `arseniy.grusha@…`          | 91           |
//! | `example.com`         | `first.last` | `arseniy.grusha@example.com`| 88           |
//! | `acme.com`            | `flast`      | `agrusha@acme.com`          | 75           |
//! | anything else         | null         | null                        | null         |
//!
//! If a name part the pattern needs is empty after normalising, `email`,
//! `confidence` and `pattern` are all null, as for an unknown host.
//!
//! # Domain scan ([`scan_domain`])
//!
//! | Host                         | `emails` (in order)                                                                                   | `pagesScanned` |
//! |------------------------------|-------------------------------------------------------------------------------------------------------|----------------|
//! | `dataprana.io`               | `info@` generic verified, `press@` generic unverified, `arseniy@dataprana.io` personal verified        | 12             |
//! | other host in [`COMPANIES`]  | `info@host` generic verified, `press@host` generic unverified                                         | 12             |
//! | anything else                | none                                                                                                  | 1              |

use serde::Serialize;

/// Domains of throw-away mailbox providers (rule 2 of email validation).
pub const DISPOSABLE_DOMAINS: &[&str] = &[
    "mailinator.com",
    "guerrillamail.com",
    "10minutemail.com",
    "yopmail.com",
    "tempmail.dev",
];

/// Local parts that name a function rather than a person (rule 4).
pub const ROLE_LOCAL_PARTS: &[&str] = &[
    "info", "sales", "admin", "support", "contact", "hello", "office", "team", "noreply",
];

/// Domains whose mail server accepts every address (rule 5).
pub const CATCH_ALL_DOMAINS: &[&str] = &["domain.com", "catchall.io"];

/// Domains where every syntactically fine, non-role mailbox exists (rule 6).
pub const KNOWN_DOMAINS: &[&str] = &[
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "example.com",
    "acme.com",
    "dataprana.io",
    "zuckerbergmedia.com",
];

/// The companies the email finder and the domain scanner know about.
pub const COMPANIES: &[Company] = &[
    Company {
        domain: "dataprana.io",
        pattern: EmailPattern::First,
        confidence: 97,
        personal_local_parts: &["arseniy"],
    },
    Company {
        domain: "zuckerbergmedia.com",
        pattern: EmailPattern::FirstDotLast,
        confidence: 91,
        personal_local_parts: &[],
    },
    Company {
        domain: "example.com",
        pattern: EmailPattern::FirstDotLast,
        confidence: 88,
        personal_local_parts: &[],
    },
    Company {
        domain: "acme.com",
        pattern: EmailPattern::FirstInitialLast,
        confidence: 75,
        personal_local_parts: &[],
    },
];

/// One entry of the [`COMPANIES`] fixture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Company {
    /// The company's host, lowercased, without `www.`.
    pub domain: &'static str,
    /// How the company builds personal addresses.
    pub pattern: EmailPattern,
    /// The finder's confidence in that pattern, 0–100.
    pub confidence: u8,
    /// Local parts of personal addresses the domain scan finds on the site.
    pub personal_local_parts: &'static [&'static str],
}

/// The company fixture entry for a host, if the simulator knows it.
pub fn company(host: &str) -> Option<&'static Company> {
    COMPANIES.iter().find(|c| c.domain == host)
}

/// How a company turns a person's name into the local part of an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EmailPattern {
    /// `arseniy@…`
    #[serde(rename = "first")]
    First,
    /// `arseniy.grusha@…`
    #[serde(rename = "first.last")]
    FirstDotLast,
    /// `agrusha@…`: first initial, then the last name.
    #[serde(rename = "flast")]
    FirstInitialLast,
}

impl EmailPattern {
    /// The spelling used in results (`first`, `first.last`, `flast`).
    pub fn as_str(self) -> &'static str {
        match self {
            EmailPattern::First => "first",
            EmailPattern::FirstDotLast => "first.last",
            EmailPattern::FirstInitialLast => "flast",
        }
    }

    /// The local part for already normalised names, or `None` when a name
    /// part this pattern needs is empty (an address like `@acme.com` or
    /// `.grusha@…` would be a lie).
    fn local_part(self, first: &str, last: &str) -> Option<String> {
        match self {
            EmailPattern::First if !first.is_empty() => Some(first.to_owned()),
            EmailPattern::FirstDotLast if !first.is_empty() && !last.is_empty() => {
                Some(format!("{first}.{last}"))
            }
            EmailPattern::FirstInitialLast if !first.is_empty() && !last.is_empty() => {
                Some(format!("{}{last}", &first[..1]))
            }
            _ => None,
        }
    }
}

/// The `status` of an email-validation result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    /// The mailbox exists.
    Valid,
    /// The address is not syntactically an address.
    Invalid,
    /// The domain hands out throw-away mailboxes.
    Disposable,
    /// A known spam trap (`spam_trap`).
    SpamTrap,
    /// A role address such as `info@`.
    Role,
    /// The domain accepts any address (`catch_all`).
    CatchAll,
    /// The mail server did not say.
    Unknown,
}

impl EmailStatus {
    /// The spelling used in results, e.g. `spam_trap`.
    pub fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Valid => "valid",
            EmailStatus::Invalid => "invalid",
            EmailStatus::Disposable => "disposable",
            EmailStatus::SpamTrap => "spam_trap",
            EmailStatus::Role => "role",
            EmailStatus::CatchAll => "catch_all",
            EmailStatus::Unknown => "unknown",
        }
    }
}

/// One email-validation result, serialised exactly as the simulator sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailValidation {
    /// The address as submitted.
    pub email: String,
    /// The verdict.
    pub status: EmailStatus,
    /// True only for [`EmailStatus::Valid`].
    pub verified: bool,
    /// A short human-readable explanation of the verdict.
    pub reason: &'static str,
    /// The lowercased text after the last `@` (empty without one).
    pub domain: String,
    /// Whether the simulator "found" a mail server for the domain.
    pub mx_found: bool,
}

/// Validates one address; see the module docs for the rule table.
pub fn validate_email(email: &str) -> EmailValidation {
    let local = email
        .split_once('@')
        .map_or(email, |(l, _)| l)
        .to_ascii_lowercase();
    let domain = email.rsplit_once('@').map_or("", |(_, d)| d).to_ascii_lowercase();
    let syntax_ok = email.matches('@').count() == 1 && !local.is_empty() && domain.contains('.');
    let listed = |list: &[&str]| list.contains(&domain.as_str());

    let (status, reason) = if !syntax_ok {
        (EmailStatus::Invalid, "syntax")
    } else if listed(DISPOSABLE_DOMAINS) {
        (EmailStatus::Disposable, "disposable domain")
    } else if local.starts_with("spamtrap") {
        (EmailStatus::SpamTrap, "known spam trap")
    } else if ROLE_LOCAL_PARTS.contains(&local.as_str()) {
        (EmailStatus::Role, "role-based address")
    } else if listed(CATCH_ALL_DOMAINS) {
        (EmailStatus::CatchAll, "domain accepts all addresses")
    } else if listed(KNOWN_DOMAINS) {
        (EmailStatus::Valid, "mailbox exists")
    } else {
        (EmailStatus::Unknown, "no answer from mail server")
    };
    let mx_found =
        syntax_ok && (listed(DISPOSABLE_DOMAINS) || listed(CATCH_ALL_DOMAINS) || listed(KNOWN_DOMAINS));

    EmailValidation {
        email: email.to_owned(),
        status,
        verified: status == EmailStatus::Valid,
        reason,
        domain,
        mx_found,
    }
}

/// One email-finder result, serialised exactly as the simulator sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FoundEmail {
    /// The first name as submitted.
    pub first_name: String,
    /// The last name as submitted.
    pub last_name: String,
    /// The website as submitted.
    pub website: String,
    /// The address, or `None` (JSON null) when the company is unknown.
    pub email: Option<String>,
    /// The company's pattern confidence, `None` with `email`.
    pub confidence: Option<u8>,
    /// The pattern used, `None` with `email`.
    pub pattern: Option<EmailPattern>,
}

/// Finds a person's address from their name and company website.
pub fn find_email(first_name: &str, last_name: &str, website: &str) -> FoundEmail {
    let host = host_of(website);
    let found = company(&host).and_then(|c| {
        let local = c
            .pattern
            .local_part(&normalise_name(first_name), &normalise_name(last_name))?;
        Some((format!("{local}@{}", c.domain), c.confidence, c.pattern))
    });
    FoundEmail {
        first_name: first_name.to_owned(),
        last_name: last_name.to_owned(),
        website: website.to_owned(),
        email: found.as_ref().map(|(email, _, _)| email.clone()),
        confidence: found.as_ref().map(|(_, confidence, _)| *confidence),
        pattern: found.map(|(_, _, pattern)| pattern),
    }
}

/// Lowercases a name and keeps only ASCII letters and digits, so that the
/// generated local part is always a plain, predictable token.
pub fn normalise_name(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether an address found by the domain scan is a shared or a personal one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailKind {
    /// A shared address such as `info@`.
    Generic,
    /// A named person's address.
    Personal,
}

/// One address found by the domain scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScannedEmail {
    /// The address.
    pub email: String,
    /// Shared or personal (`"type"` in JSON).
    #[serde(rename = "type")]
    pub kind: EmailKind,
    /// Whether the mailbox was verified.
    pub verified: bool,
}

/// One domain-scan result, serialised exactly as the simulator sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainScan {
    /// The URL as submitted.
    pub website: String,
    /// The host the URL reduces to (see [`host_of`]).
    pub domain: String,
    /// The addresses found, in a fixed order.
    pub emails: Vec<ScannedEmail>,
    /// How many pages the "crawler" visited.
    pub pages_scanned: u32,
}

/// Scans one website; see the module docs for the table.
pub fn scan_domain(website: &str) -> DomainScan {
    let host = host_of(website);
    let (emails, pages_scanned) = match company(&host) {
        Some(c) => {
            let mut emails = vec![
                scanned(format!("info@{host}"), EmailKind::Generic, true),
                scanned(format!("press@{host}"), EmailKind::Generic, false),
            ];
            emails.extend(
                c.personal_local_parts
                    .iter()
                    .map(|local| scanned(format!("{local}@{host}"), EmailKind::Personal, true)),
            );
            (emails, 12)
        }
        None => (Vec::new(), 1),
    };
    DomainScan {
        website: website.to_owned(),
        domain: host,
        emails,
        pages_scanned,
    }
}

fn scanned(email: String, kind: EmailKind, verified: bool) -> ScannedEmail {
    ScannedEmail {
        email,
        kind,
        verified,
    }
}

/// Reduces a website to its host: drops surrounding whitespace, a scheme
/// (`https://`), user info, the port and everything from the first `/`, `?`
/// or `#`, then lowercases and drops a leading `www.`.
///
/// `"https://WWW.Acme.com:8443/about?x=1"` → `"acme.com"`; a bare
/// `"acme.com"` works too.
pub fn host_of(website: &str) -> String {
    let s = website.trim();
    // Only a "scheme://" before the path counts, so a URL inside a query
    // string does not fool us.
    let s = match s.find("://") {
        Some(i)
            if s[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            &s[i + 3..]
        }
        _ => s,
    };
    let authority = s.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host_port
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match host.strip_prefix("www.") {
        Some(rest) => rest.to_owned(),
        None => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(email: &str) -> (&'static str, bool, &'static str) {
        let v = validate_email(email);
        (v.status.as_str(), v.verified, v.reason)
    }

    #[test]
    fn each_validation_rule_has_its_row() {
        assert_eq!(status("no-at-sign.com"), ("invalid", false, "syntax"));
        assert_eq!(status("a@b@gmail.com"), ("invalid", false, "syntax"));
        assert_eq!(status("@gmail.com"), ("invalid", false, "syntax"));
        assert_eq!(status("john@localhost"), ("invalid", false, "syntax"));
        assert_eq!(status("john@mailinator.com").0, "disposable");
        assert_eq!(status("spamtrap42@gmail.com").0, "spam_trap");
        assert_eq!(status("sales@gmail.com").0, "role");
        assert_eq!(status("test@domain.com").0, "catch_all");
        assert_eq!(status("john@gmail.com"), ("valid", true, "mailbox exists"));
        assert_eq!(
            status("john@nowhere.example"),
            ("unknown", false, "no answer from mail server")
        );
    }

    #[test]
    fn earlier_rules_win() {
        assert_eq!(status("spamtrap@yopmail.com").0, "disposable");
        assert_eq!(status("info@yopmail.com").0, "disposable");
        assert_eq!(status("info@catchall.io").0, "role");
        assert_eq!(status("spamtrap.info@catchall.io").0, "spam_trap");
    }

    #[test]
    fn validation_ignores_ascii_case_but_echoes_the_input() {
        let v = validate_email("INFO@Gmail.COM");
        assert_eq!(v.status, EmailStatus::Role);
        assert_eq!(v.email, "INFO@Gmail.COM");
        assert_eq!(v.domain, "gmail.com");
        assert_eq!(validate_email("John@Gmail.com").status, EmailStatus::Valid);
    }

    #[test]
    fn mx_is_found_only_for_domains_in_a_fixture() {
        assert!(validate_email("john@gmail.com").mx_found);
        assert!(validate_email("x@yopmail.com").mx_found);
        assert!(validate_email("x@catchall.io").mx_found);
        assert!(!validate_email("info@unknown.org").mx_found);
        assert!(!validate_email("a@b@gmail.com").mx_found);
    }

    #[test]
    fn validation_serialises_with_the_api_field_names() {
        let json = serde_json::to_value(validate_email("test@domain.com")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "email": "test@domain.com", "status": "catch_all", "verified": false,
                "reason": "domain accepts all addresses", "domain": "domain.com", "mxFound": true
            })
        );
    }

    #[test]
    fn host_of_strips_everything_but_the_host() {
        assert_eq!(host_of("https://dataprana.io"), "dataprana.io");
        assert_eq!(host_of(" HTTPS://WWW.Acme.com:8443/about?x=1#top "), "acme.com");
        assert_eq!(host_of("acme.com/team"), "acme.com");
        assert_eq!(host_of("http://user:pw@example.com/"), "example.com");
        assert_eq!(host_of("example.com?next=http://acme.com"), "example.com");
        assert_eq!(host_of(""), "");
    }

    #[test]
    fn finder_uses_each_company_pattern() {
        let email = |f, l, w| find_email(f, l, w).email;
        assert_eq!(
            email("Arseniy", "Grusha", "https://dataprana.io").as_deref(),
            Some("arseniy@dataprana.io")
        );
        assert_eq!(
            email("Randi", "Zuckerberg", "https://zuckerbergmedia.com").as_deref(),
            Some("randi.zuckerberg@zuckerbergmedia.com")
        );
        assert_eq!(
            email("Jane", "Doe", "www.example.com").as_deref(),
            Some("jane.doe@example.com")
        );
        assert_eq!(
            email("Wile E.", "Coyote", "http://acme.com/").as_deref(),
            Some("wcoyote@acme.com")
        );
    }

    #[test]
    fn finder_normalises_names() {
        assert_eq!(normalise_name("José-María O'Neil 2"), "josmaraoneil2");
        assert_eq!(
            find_email("Anne-Marie", "Van Dyke", "example.com")
                .email
                .as_deref(),
            Some("annemarie.vandyke@example.com")
        );
    }

    #[test]
    fn finder_gives_nulls_for_unknown_hosts_and_empty_names() {
        let json = serde_json::to_value(find_email("A", "B", "https://unknown.org")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "firstName": "A", "lastName": "B", "website": "https://unknown.org",
                "email": null, "confidence": null, "pattern": null
            })
        );
        assert_eq!(find_email("Zoë", "", "acme.com").email, None);
        assert_eq!(find_email("", "X", "dataprana.io").pattern, None);
    }

    #[test]
    fn finder_serialises_pattern_and_confidence() {
        let json = serde_json::to_value(find_email("Jo", "Bo", "acme.com")).unwrap();
        assert_eq!(json["pattern"], "flast");
        assert_eq!(json["confidence"], 75);
    }

    #[test]
    fn scan_lists_fixed_addresses_for_known_companies() {
        let json = serde_json::to_value(scan_domain("https://www.dataprana.io/contact")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "website": "https://www.dataprana.io/contact",
                "domain": "dataprana.io",
                "emails": [
                    {"email": "info@dataprana.io", "type": "generic", "verified": true},
                    {"email": "press@dataprana.io", "type": "generic", "verified": false},
                    {"email": "arseniy@dataprana.io", "type": "personal", "verified": true}
                ],
                "pagesScanned": 12
            })
        );
        assert_eq!(scan_domain("acme.com").emails.len(), 2);
    }

    #[test]
    fn scan_of_unknown_host_finds_nothing() {
        let scan = scan_domain("https://example2.com");
        assert_eq!(scan.domain, "example2.com");
        assert!(scan.emails.is_empty());
        assert_eq!(scan.pages_scanned, 1);
    }
}
