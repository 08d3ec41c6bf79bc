//! The [`Action`] trait that ties a typed request to its action name, product, response type
//! and flat parameter map, and the `rpc_request!` macro that declares request structs with
//! their exact wire names so both directions (to and from [`Params`]) come from one list.
//!
//! Transport, signing and retries are not here; see `client` and `governor`.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::params::Params;

/// The products this crate speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Product {
    /// Classic Load Balancer, `Slb` 2014-05-15.
    Slb,
    /// Elastic Compute Service, `Ecs` 2014-05-26.
    Ecs,
    /// Virtual Private Cloud (route tables), `Vpc` 2016-04-28.
    Vpc,
}

impl Product {
    /// The `Version` parameter.
    pub fn version(self) -> &'static str {
        match self {
            Self::Slb => "2014-05-15",
            Self::Ecs => "2014-05-26",
            Self::Vpc => "2016-04-28",
        }
    }

    /// The lowercase product code used in endpoints (`slb`, `ecs`, `vpc`).
    pub fn endpoint_code(self) -> &'static str {
        match self {
            Self::Slb => "slb",
            Self::Ecs => "ecs",
            Self::Vpc => "vpc",
        }
    }
}

/// One RPC action: a typed request that knows its wire form and its response type.
pub trait Action: Sized + Send + Sync + 'static {
    /// The `Action` parameter, e.g. `CreateLoadBalancer`.
    const NAME: &'static str;
    /// The product (and so `Version`).
    const PRODUCT: Product;
    /// The typed response.
    type Response: Serialize + DeserializeOwned + Send + Sync + 'static;

    /// The request's `RegionId`, if set (the client fills in its own otherwise).
    fn region_id(&self) -> Option<&str>;

    /// The action-specific parameters (no common/signing parameters), flattened per spec §1.3.
    fn to_params(&self) -> Params;

    /// True when `name` is one of this action's own parameters: a scalar under any accepted
    /// spelling, or an element of one of its repeat lists (`Name.N`, `Tag.N.Key`, …).
    /// `rpc_request!` generates it from the field list; the default (for a hand-written
    /// request that is only ever sent, never parsed) takes none.
    fn takes_param(name: &str) -> bool {
        let _ = name;
        false
    }

    /// The wire text of the scalar or JSON-valued parameter `name` (any accepted spelling)
    /// if it is set and not empty: what a server that keeps settings in their wire form
    /// stores, read from the typed request without flattening it. Repeat lists answer `None`.
    /// `rpc_request!` generates it; the default knows no parameter.
    fn param(&self, name: &str) -> Option<String> {
        let _ = name;
        None
    }

    /// The wire name of the first required parameter whose value is empty (the wire omits
    /// empty values, so a server answers `MissingParameter` for it): lets an in-process
    /// server refuse what the same request would be refused for over the wire.
    /// `rpc_request!` generates it; the default finds none.
    fn first_missing(&self) -> Option<&'static str> {
        None
    }

    /// Parses the action's parameters (server side), strictly: a parameter that is neither
    /// one of the action's own ([`Action::takes_param`]) nor a common RPC parameter
    /// ([`COMMON_PARAMS`], `Signature*`) is refused by name, so a misspelt wire name can never
    /// be dropped silently and answered with success.
    ///
    /// # Errors
    /// `MissingParameter` / `InvalidParameter` naming the offending parameter; an unknown
    /// parameter is `InvalidParameter` naming it and the action.
    fn from_params(params: &Params) -> Result<Self, ApiError>;

    /// True for actions that create a resource and are not idempotent unless they carry a
    /// `ClientToken` (retrying them after an unknown outcome could create a duplicate):
    /// `Create…`, and `AllocateEipAddress`.
    fn creates_resource() -> bool {
        Self::NAME.starts_with("Create") || Self::NAME.starts_with("Allocate")
    }
}

/// Parameters every RPC request may carry besides its own: routing, signing (V2; every
/// `Signature*` name is accepted too), credentials and the account fields the Alibaba SDKs
/// add. `RegionId` is a field of every request, so it is not listed.
pub const COMMON_PARAMS: &[&str] = &[
    "Action",
    "Version",
    "Format",
    "AccessKeyId",
    "Timestamp",
    "SecurityToken",
    "BearerToken",
    "OwnerId",
    "OwnerAccount",
    "ResourceOwnerId",
    "ResourceOwnerAccount",
];

/// True for a parameter any action accepts (see [`COMMON_PARAMS`]).
pub fn is_common_param(name: &str) -> bool {
    COMMON_PARAMS.contains(&name) || name.starts_with("Signature")
}

/// `InvalidParameter` for the first parameter in `params` that `action` does not take and
/// that is not common; the message names both.
///
/// # Errors
/// That `InvalidParameter`.
pub fn refuse_unknown(
    params: &Params,
    action: &str,
    takes: impl Fn(&str) -> bool,
) -> Result<(), ApiError> {
    match params.keys().find(|k| !is_common_param(k) && !takes(k)) {
        Some(key) => Err(ApiError::invalid_parameter(
            key,
            &format!("{action} takes no parameter of this name"),
        )),
        None => Ok(()),
    }
}

/// Maps a field kind of `rpc_request!` to its Rust type.
macro_rules! field_ty {
    (req $t:ty) => { $t };
    (opt $t:ty) => { Option<$t> };
    (list $t:ty) => { Vec<$t> };
    (tags $t:ty) => { Vec<$t> };
    (items $t:ty) => { Vec<$t> };
    (json $t:ty) => { $t };
    (optjson $t:ty) => { Option<$t> };
}

/// Declares a request struct and its [`Action`] impl.
///
/// Field syntax: `name: kind Type = "WireName" | "AltSpelling"`, where kind is `req`, `opt`,
/// `list` (`Name.N`), `tags` (`Name.N.Key/Value`), `items` (`Name.N.Field` of a
/// [`crate::params::ParamItem`]), `json` or `optjson` (JSON string).
/// Every request also gets `region_id: Option<String>` (`RegionId`).
macro_rules! rpc_request {
    (
        $(#[$m:meta])*
        pub struct $name:ident => $product:ident $action:literal -> $resp:ty {
            $( $(#[$fm:meta])* $field:ident : $kind:ident $ty:ty = $wire:literal $(| $alt:literal)* ),* $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct $name {
            /// `RegionId`; the client fills in its configured region when `None`.
            pub region_id: Option<String>,
            $( $(#[$fm])* pub $field: $crate::action::field_ty!($kind $ty), )*
        }

        impl $crate::action::Action for $name {
            const NAME: &'static str = $action;
            const PRODUCT: $crate::action::Product = $crate::action::Product::$product;
            type Response = $resp;

            fn region_id(&self) -> Option<&str> {
                self.region_id.as_deref()
            }

            fn to_params(&self) -> $crate::params::Params {
                #[allow(unused_mut)]
                let mut w = $crate::params::ParamWriter::default();
                w.opt("RegionId", &self.region_id);
                $( w.$kind($wire, &self.$field); )*
                w.finish()
            }

            fn takes_param(name: &str) -> bool {
                name == "RegionId"
                    $( || $crate::params::accepts::$kind::<$ty>(name, &[$wire $(, $alt)*]) )*
            }

            #[allow(unused_variables)] // a request without fields
            fn param(&self, name: &str) -> Option<String> {
                None
                    $( .or_else(|| $crate::params::text::$kind(&self.$field, name, &[$wire $(, $alt)*])) )*
                    .filter(|v: &String| !v.is_empty())
            }

            fn first_missing(&self) -> Option<&'static str> {
                $( if $crate::params::missing::$kind(&self.$field) { return Some($wire); } )*
                None
            }

            fn from_params(
                params: &$crate::params::Params,
            ) -> Result<Self, $crate::error::ApiError> {
                $crate::action::refuse_unknown(params, $action, Self::takes_param)?;
                #[allow(unused_variables)]
                let r = $crate::params::ParamReader::new(params);
                Ok(Self {
                    region_id: r.opt(&["RegionId"])?,
                    $( $field: r.$kind(&[$wire $(, $alt)*])?, )*
                })
            }
        }
    };
}

pub(crate) use {field_ty, rpc_request};

/// A response with no fields but the request id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EmptyResponse {
    /// `RequestId`.
    pub request_id: String,
}
