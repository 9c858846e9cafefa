//! Who is asking, and which customers they may see: the data-scope rule every read goes through.
//!
//! HQ roles see the whole bank, a branch manager the unit they head and everything under it, a customer
//! manager only the customers they own. The store turns a [`DataScope`] into a filter in the same query
//! that reads the data, so there is no "read then check" window and no endpoint can forget the check.

use serde::{Deserialize, Serialize};

use crate::ids::{OrgUnitId, StaffId};
use crate::org::Role;

/// The signed-in party a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Staff {
        id: StaffId,
        role: Role,
        org_unit_id: OrgUnitId,
    },
    /// One of the bank's systems, through an API token; scopes limit what it may call.
    System {
        token_name: String,
        scopes: Vec<ApiScope>,
    },
}

/// Which customers a read may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataScope {
    All,
    /// Customers of this unit and of every unit below it.
    Subtree(OrgUnitId),
    /// Customers owned by this customer manager.
    OwnedBy(StaffId),
}

/// Things an actor may be allowed to do, checked before the service does them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadCustomers,
    RevealCustomerPii,
    ImportCustomers,
    ExportCustomers,
    ManageOrganisation,
    ManageStaff,
    ManageApiTokens,
    ReadAuditLog,
    ReadJobs,
    /// Create and change channel QR codes (a branch manager within their own units).
    ManageChannels,
    /// See channel codes and their figures.
    ReadChannels,
    /// Start a full WeCom sync.
    SyncWecom,
    /// Create tag groups and tags, and tag customers in bulk (HQ).
    ManageTags,
    /// Put a manual tag on a customer in scope, or take it off (HQ, or the customer's own manager).
    TagCustomers,
    /// Count and look at audiences within one's own data scope.
    ReadAudiences,
    /// Save, change and refresh audiences (HQ).
    ManageAudiences,
    /// Read the Prometheus metrics (administrators, and a scraper's token).
    ReadMetrics,
    /// Run the compliance lint on a text and see the rules it applies (everyone who writes, sends or
    /// reviews content: every role, and a token with `content:lint`).
    LintContent,
    /// Change HQ compliance's own word list (the compliance reviewer, and administrators).
    ManageComplianceRules,
    /// See the product catalogue (every role: products are the bank's, not a customer's).
    ReadProducts,
    /// Import and change the product catalogue (HQ operations).
    ManageProducts,
    /// Browse the content library and the script library: every role (a CM sends what is approved).
    ReadContent,
    /// Write items and versions and upload their images and files, and submit them for review: HQ
    /// operations for the bank, a branch manager for local variants within their own units.
    AuthorContent,
    /// Approve or reject a submitted version (the compliance reviewer; never the version's author,
    /// which the review state machine refuses whoever asks).
    ReviewContent,
}

/// What an API token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ApiScope {
    /// Read customers (masked).
    #[serde(rename = "customers:read")]
    CustomersRead,
    /// Upload and commit customer files.
    #[serde(rename = "customers:import")]
    CustomersImport,
    /// Read `/metrics` (a Prometheus scraper).
    #[serde(rename = "metrics:read")]
    MetricsRead,
    /// Run the compliance lint on a text (the bank's other systems checking their own copy).
    #[serde(rename = "content:lint")]
    ContentLint,
}

impl ApiScope {
    pub const ALL: [Self; 4] = [Self::CustomersRead, Self::CustomersImport, Self::MetricsRead, Self::ContentLint];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CustomersRead => "customers:read",
            Self::CustomersImport => "customers:import",
            Self::MetricsRead => "metrics:read",
            Self::ContentLint => "content:lint",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl Actor {
    /// The customers this actor may see. Systems act for the whole bank within their scopes.
    pub fn data_scope(&self) -> DataScope {
        match *self {
            Actor::Staff { id, role, org_unit_id } => match role {
                Role::Admin | Role::HqOperator | Role::ComplianceReviewer => DataScope::All,
                Role::BranchManager => DataScope::Subtree(org_unit_id),
                Role::CustomerManager => DataScope::OwnedBy(id),
            },
            Actor::System { .. } => DataScope::All,
        }
    }

    pub fn staff_id(&self) -> Option<StaffId> {
        match self {
            Actor::Staff { id, .. } => Some(*id),
            Actor::System { .. } => None,
        }
    }

    /// Whether the actor may do `p` at all; the data scope then limits *which* records.
    pub fn can(&self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Actor::Staff { role, .. } => match role {
                Role::Admin => true,
                Role::HqOperator => matches!(
                    p,
                    ReadCustomers
                        | RevealCustomerPii
                        | ImportCustomers
                        | ExportCustomers
                        | ReadJobs
                        | ManageChannels
                        | ReadChannels
                        | SyncWecom
                        | ManageTags
                        | TagCustomers
                        | ReadAudiences
                        | ManageAudiences
                        | LintContent
                        | ReadProducts
                        | ManageProducts
                        | ReadContent
                        | AuthorContent
                ),
                // Reviews content and who saw or took personal data, never the customers themselves:
                // the audit log (reveals, exports), the lint and its word list, and nothing else.
                Role::ComplianceReviewer => matches!(
                    p,
                    ReadAuditLog | LintContent | ManageComplianceRules | ReadProducts | ReadContent | ReviewContent
                ),
                // Branches write local variants and CMs write and send content: the lint reads no
                // customer, so everyone who writes may check their words before a reviewer does.
                Role::BranchManager => matches!(
                    p,
                    ReadCustomers
                        | RevealCustomerPii
                        | ManageChannels
                        | ReadChannels
                        | TagCustomers
                        | ReadAudiences
                        | LintContent
                        | ReadProducts
                        | ReadContent
                        | AuthorContent
                ),
                Role::CustomerManager => matches!(
                    p,
                    ReadCustomers
                        | RevealCustomerPii
                        | ReadChannels
                        | TagCustomers
                        | ReadAudiences
                        | LintContent
                        | ReadProducts
                        | ReadContent
                ),
            },
            Actor::System { scopes, .. } => match p {
                ReadCustomers => scopes.contains(&ApiScope::CustomersRead),
                ImportCustomers => scopes.contains(&ApiScope::CustomersImport),
                ReadMetrics => scopes.contains(&ApiScope::MetricsRead),
                LintContent => scopes.contains(&ApiScope::ContentLint),
                _ => false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(role: Role) -> Actor {
        Actor::Staff { id: StaffId::new(7), role, org_unit_id: OrgUnitId::new(3) }
    }

    #[test]
    fn scope_follows_role() {
        assert_eq!(staff(Role::HqOperator).data_scope(), DataScope::All);
        assert_eq!(staff(Role::BranchManager).data_scope(), DataScope::Subtree(OrgUnitId::new(3)));
        assert_eq!(staff(Role::CustomerManager).data_scope(), DataScope::OwnedBy(StaffId::new(7)));
    }

    #[test]
    fn only_admin_manages_staff_and_only_admin_and_compliance_read_audit() {
        for r in Role::ALL {
            assert_eq!(staff(r).can(Permission::ManageStaff), r == Role::Admin);
            assert_eq!(
                staff(r).can(Permission::ReadAuditLog),
                matches!(r, Role::Admin | Role::ComplianceReviewer),
                "{r:?}"
            );
        }
    }

    /// Reading the audit log, linting and keeping the word list is all a compliance reviewer may do: no
    /// customer, no export, no reveal.
    #[test]
    fn compliance_reads_the_audit_log_and_keeps_the_lint_and_nothing_else() {
        use Permission::*;
        let all = [
            ReadCustomers,
            RevealCustomerPii,
            ImportCustomers,
            ExportCustomers,
            ManageOrganisation,
            ManageStaff,
            ManageApiTokens,
            ReadAuditLog,
            ReadJobs,
            ManageChannels,
            ReadChannels,
            SyncWecom,
            ManageTags,
            TagCustomers,
            ReadAudiences,
            ManageAudiences,
            ReadMetrics,
            LintContent,
            ManageComplianceRules,
            ReadProducts,
            ManageProducts,
            ReadContent,
            AuthorContent,
            ReviewContent,
        ];
        let c = staff(Role::ComplianceReviewer);
        let granted: Vec<Permission> = all.into_iter().filter(|p| c.can(*p)).collect();
        assert_eq!(
            granted,
            vec![ReadAuditLog, LintContent, ManageComplianceRules, ReadProducts, ReadContent, ReviewContent]
        );
    }

    #[test]
    fn every_role_lints_and_only_compliance_and_admin_keep_the_word_list() {
        for r in Role::ALL {
            assert!(staff(r).can(Permission::LintContent), "{r:?}");
            assert_eq!(
                staff(r).can(Permission::ManageComplianceRules),
                matches!(r, Role::Admin | Role::ComplianceReviewer),
                "{r:?}"
            );
        }
        let linter = Actor::System { token_name: "cms".into(), scopes: vec![ApiScope::ContentLint] };
        assert!(linter.can(Permission::LintContent) && !linter.can(Permission::ManageComplianceRules));
        let reader = Actor::System { token_name: "core".into(), scopes: vec![ApiScope::CustomersRead] };
        assert!(!reader.can(Permission::LintContent));
    }

    /// Maker-checker by role: HQ and branches write, only compliance (and administrators) review, and
    /// everyone reads the library and the catalogue.
    #[test]
    fn hq_and_branches_write_content_and_compliance_reviews_it() {
        for r in Role::ALL {
            let a = staff(r);
            assert!(a.can(Permission::ReadContent) && a.can(Permission::ReadProducts), "{r:?}");
            assert_eq!(
                a.can(Permission::AuthorContent),
                matches!(r, Role::Admin | Role::HqOperator | Role::BranchManager),
                "{r:?}"
            );
            assert_eq!(a.can(Permission::ReviewContent), matches!(r, Role::Admin | Role::ComplianceReviewer), "{r:?}");
            assert_eq!(a.can(Permission::ManageProducts), matches!(r, Role::Admin | Role::HqOperator), "{r:?}");
        }
    }

    #[test]
    fn scopes_serialise_as_they_print() {
        for s in ApiScope::ALL {
            let json = format!("\"{}\"", s.as_str());
            assert_eq!(serde_json::to_string(&s).unwrap(), json);
            assert_eq!(serde_json::from_str::<ApiScope>(&json).unwrap(), s);
        }
    }

    #[test]
    fn a_system_token_does_only_what_its_scopes_say() {
        let a = Actor::System { token_name: "core".into(), scopes: vec![ApiScope::CustomersRead] };
        assert!(a.can(Permission::ReadCustomers));
        assert!(!a.can(Permission::ImportCustomers));
        assert!(!a.can(Permission::RevealCustomerPii));
        assert!(!a.can(Permission::ReadMetrics));
        let scraper = Actor::System { token_name: "prometheus".into(), scopes: vec![ApiScope::MetricsRead] };
        assert!(scraper.can(Permission::ReadMetrics) && !scraper.can(Permission::ReadCustomers));
    }

    #[test]
    fn only_admin_reads_metrics_among_staff() {
        for r in Role::ALL {
            assert_eq!(staff(r).can(Permission::ReadMetrics), r == Role::Admin);
        }
    }
}
