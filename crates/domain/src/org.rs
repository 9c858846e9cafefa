//! The bank's organisation (head office → branch → sub-branch) and its staff with their roles.

use serde::{Deserialize, Serialize};

use crate::ids::{OrgUnitId, StaffId};

/// Which level of the organisation a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrgUnitKind {
    /// 总行: one per bank.
    HeadOffice,
    /// 分行.
    Branch,
    /// 支行 / 网点: where customers are served and customer managers sit.
    SubBranch,
}

impl OrgUnitKind {
    pub const ALL: [Self; 3] = [Self::HeadOffice, Self::Branch, Self::SubBranch];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::HeadOffice => "head_office",
            Self::Branch => "branch",
            Self::SubBranch => "sub_branch",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The level a unit of this kind must hang under.
    pub fn parent_kind(self) -> Option<Self> {
        match self {
            Self::HeadOffice => None,
            Self::Branch => Some(Self::HeadOffice),
            Self::SubBranch => Some(Self::Branch),
        }
    }
}

/// A point on the map (WGS-84 degrees), used to send customers to the nearest sub-branch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeoPoint {
    pub lat: f64,
    pub lng: f64,
}

impl GeoPoint {
    /// Whether the coordinates are on the globe at all.
    pub fn is_valid(self) -> bool {
        (-90.0..=90.0).contains(&self.lat) && (-180.0..=180.0).contains(&self.lng)
    }

    /// Great-circle distance in kilometres (haversine); plenty for "nearest branch".
    pub fn distance_km(self, other: GeoPoint) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lng - self.lng).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * 6371.0 * a.sqrt().asin()
    }
}

/// One unit of the organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgUnit {
    pub id: OrgUnitId,
    pub kind: OrgUnitKind,
    pub parent_id: Option<OrgUnitId>,
    /// The bank's own code for the unit; import files name sub-branches by it.
    pub code: String,
    pub name: String,
    pub location: Option<GeoPoint>,
}

/// What a member of staff may do. Data scope follows from the role (see [`crate::scope`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// System administrator: staff, tokens, audit log.
    Admin,
    /// 总行运营: designs operations, imports customer data.
    HqOperator,
    /// 合规: reviews content and campaigns.
    ComplianceReviewer,
    /// 网点负责人 / 分行负责人: sees the unit they head and everything under it.
    BranchManager,
    /// 客户经理: serves their own customers.
    CustomerManager,
}

impl Role {
    pub const ALL: [Self; 5] =
        [Self::Admin, Self::HqOperator, Self::ComplianceReviewer, Self::BranchManager, Self::CustomerManager];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::HqOperator => "hq_operator",
            Self::ComplianceReviewer => "compliance_reviewer",
            Self::BranchManager => "branch_manager",
            Self::CustomerManager => "customer_manager",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The word key of the role's title for someone filed at a unit of `unit_kind`: a branch manager
    /// heading a branch (上海分行) is its 分行负责人, one heading a sub-branch its 网点负责人; every other
    /// role is named the same wherever it sits.
    pub fn title_key(self, unit_kind: Option<OrgUnitKind>) -> &'static str {
        match (self, unit_kind) {
            (Self::BranchManager, Some(OrgUnitKind::Branch)) => "branch_head",
            (Self::BranchManager, Some(OrgUnitKind::SubBranch)) => "sub_branch_head",
            _ => self.as_str(),
        }
    }

    /// The organisation level a person in this role is attached to. Keeping this in the domain stops a
    /// customer manager from being filed at head office, where their data scope would mean nothing.
    pub fn allowed_unit_kinds(self) -> &'static [OrgUnitKind] {
        match self {
            Self::Admin | Self::HqOperator | Self::ComplianceReviewer => &[OrgUnitKind::HeadOffice],
            Self::BranchManager => &[OrgUnitKind::Branch, OrgUnitKind::SubBranch],
            Self::CustomerManager => &[OrgUnitKind::SubBranch],
        }
    }
}

/// A member of staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Staff {
    pub id: StaffId,
    /// Login name, unique, lower-case.
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_unit_id: OrgUnitId,
    /// The member's WeCom userid, when they use WeCom (customer managers do).
    pub wecom_userid: Option<String>,
    /// A deactivated member can no longer sign in; their records stay.
    pub active: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn a_branch_manager_is_titled_by_the_unit_they_head() {
        assert_eq!(Role::BranchManager.title_key(Some(OrgUnitKind::Branch)), "branch_head");
        assert_eq!(Role::BranchManager.title_key(Some(OrgUnitKind::SubBranch)), "sub_branch_head");
        assert_eq!(Role::BranchManager.title_key(None), "branch_manager");
        assert_eq!(Role::CustomerManager.title_key(Some(OrgUnitKind::SubBranch)), "customer_manager");
    }

    #[test]
    fn beijing_to_shanghai_is_about_1070_km() {
        let bj = GeoPoint { lat: 39.9042, lng: 116.4074 };
        let sh = GeoPoint { lat: 31.2304, lng: 121.4737 };
        let d = bj.distance_km(sh);
        assert!((1050.0..1090.0).contains(&d), "{d}");
    }
}
