//! The party behind a service call: a signed-in staff member or one of the bank's systems with an API
//! token. Every public service function takes one and checks its permission and scope against it.

use siyu_domain::org::Staff;
use siyu_domain::scope::{Actor, DataScope, Permission};

use crate::error::{ServiceError, ServiceResult};

/// Who is calling, as the services see it.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    /// The staff member, for a signed-in person.
    pub staff: Option<Staff>,
    /// The session's CSRF token, for a signed-in person.
    pub csrf: Option<String>,
    pub ip: String,
}

impl Caller {
    /// How the audit log names the caller.
    pub fn name(&self) -> String {
        match (&self.staff, &self.actor) {
            (Some(s), _) => s.username.clone(),
            (None, Actor::System { token_name, .. }) => format!("token:{token_name}"),
            (None, Actor::Staff { id, .. }) => id.to_string(),
        }
    }

    pub fn require(&self, p: Permission) -> ServiceResult<()> {
        if self.actor.can(p) { Ok(()) } else { Err(ServiceError::Forbidden) }
    }

    pub fn scope(&self) -> DataScope {
        self.actor.data_scope()
    }
}
