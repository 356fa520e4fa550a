//! Turns the table in `profile_fields.rs` into every type and accessor that names a field, so a
//! field is added, typed and parsed in one entry and cannot be forgotten in any of them.

/// `unique "code"` gives the 422 code for a value another user holds; `plain` is not unique.
macro_rules! taken_code {
    (unique $code:literal) => {
        Some($code)
    };
    (plain) => {
        None
    };
}

macro_rules! push_claim {
    ($out:ident, $profile:ident . $field:ident, $wire:literal, unique) => {
        if let Some(value) = &$profile.$field {
            $out.push(($wire, value.normalized()));
        }
    };
    ($out:ident, $profile:ident . $field:ident, $wire:literal, plain) => {};
}

macro_rules! profile_fields {
    (
        premade {
            $( $pf:ident : $pw:literal, $praw:ty => $pty:ty = $pparse:expr, $pkind:ident, $pinvalid:literal,
               $puniq:ident $($ptaken:literal)? ; )*
        }
        other {
            $( $of:ident : $ow:literal, $oraw:ty => $oty:ty = $oparse:expr ; )*
        }
        credentials {
            $( $cf:ident : $cw:literal, $craw:ty => $cty:ty = $cparse:expr ; )*
        }
    ) => {
        /// Every profile value a user can carry, as stored and returned; `None`: not provided.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct Profile {
            $( #[serde(rename = $pw, default, skip_serializing_if = "Option::is_none")] pub $pf: Option<$pty>, )*
            $( #[serde(rename = $ow, default, skip_serializing_if = "Option::is_none")] pub $of: Option<$oty>, )*
        }

        /// The body of create-user and update-user as sent: serde checks shape (types, unknown
        /// fields); [`UserInput::into_patch`] then parses every value into its type.
        #[derive(Debug, Default, Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct UserInput {
            #[serde(default)]
            pub id: Option<Uuid>,
            $( #[serde(rename = $pw, default, deserialize_with = "nullable")] pub $pf: Option<Option<$praw>>, )*
            $( #[serde(rename = $ow, default, deserialize_with = "nullable")] pub $of: Option<Option<$oraw>>, )*
            $( #[serde(rename = $cw, default, deserialize_with = "nullable")] pub $cf: Option<Option<$craw>>, )*
        }

        /// A parsed set of changes: plain data, printable and reusable on a retried write.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct ProfilePatch {
            $( pub $pf: Patch<$pty>, )*
            $( pub $of: Patch<$oty>, )*
            $( pub $cf: Patch<$cty>, )*
        }

        impl UserInput {
            /// Parses every value, naming the field (and the path inside it) in any error.
            pub fn into_patch(self) -> Result<ProfilePatch, Rejection> {
                Ok(ProfilePatch {
                    $( $pf: Patch::parse(self.$pf, $pw, $pparse)?, )*
                    $( $of: Patch::parse(self.$of, $ow, $oparse)?, )*
                    $( $cf: Patch::parse(self.$cf, $cw, $cparse)?, )*
                })
            }
        }

        impl ProfilePatch {
            /// Applies the profile values; the credential lists are the caller's (they become
            /// verified credentials, not profile values).
            pub fn apply_to(self, profile: &mut Profile) {
                $( self.$pf.apply(&mut profile.$pf); )*
                $( self.$of.apply(&mut profile.$of); )*
            }
        }

        /// The pre-made fields an operator can collect, in catalog order.
        pub const PREMADE_FIELDS: &[Premade] = &[
            $( Premade {
                name: $pw,
                validation_type: ValidationType::$pkind,
                invalid_code: $pinvalid,
                taken_code: taken_code!($puniq $($ptaken)?),
            }, )*
        ];

        /// Wire names of the profile values that are not configurable fields.
        pub const OTHER_FIELDS: &[&str] = &[ $( $ow, )* ];

        impl Profile {
            /// The value of a pre-made field by its configuration name, as JSON.
            pub fn premade_value(&self, name: &str) -> Option<Value> {
                match name {
                    $( $pw => self.$pf.as_ref().and_then(|v| serde_json::to_value(v).ok()), )*
                    _ => None,
                }
            }

            /// Empties a pre-made field by its configuration name (an unknown name is ignored).
            pub fn clear_premade(&mut self, name: &str) {
                match name {
                    $( $pw => self.$pf = None, )*
                    _ => {}
                }
            }

            /// The normalised values of the pre-made fields that are always unique.
            pub fn premade_claims(&self) -> Vec<(&'static str, String)> {
                let mut out = Vec::new();
                let profile = self;
                $( push_claim!(out, profile.$pf, $pw, $puniq); )*
                out
            }
        }
    };
}
