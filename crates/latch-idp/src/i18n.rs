//! The words of the end-user pages, in English and French, chosen by `ui_locales` (OpenID
//! Connect Core §3.1.2.1) or else the browser's `Accept-Language`.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_', ';']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    /// The first supported of `ui_locales`, else of `Accept-Language` (by quality), else English.
    pub fn choose(ui_locales: &[String], accept_language: Option<&str>) -> Lang {
        if let Some(l) = ui_locales.iter().find_map(|t| Lang::parse(t)) {
            return l;
        }
        let mut ranked: Vec<(f32, Lang)> = accept_language
            .unwrap_or("")
            .split(',')
            .filter_map(|part| {
                let mut bits = part.split(';');
                let lang = Lang::parse(bits.next()?)?;
                let q = bits.find_map(|b| b.trim().strip_prefix("q=")?.parse::<f32>().ok()).unwrap_or(1.0);
                Some((q, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map(|(_, l)| *l).unwrap_or(Lang::En)
    }
}

/// Every phrase of the consent screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    Title,
    WantsAccess,
    SignedInAs,
    NotYou,
    ProfileSection,
    OrganizationsSection,
    ShareOrganizations,
    Optional,
    SentTo,
    Terms,
    Privacy,
    Authorize,
    Cancel,
}

pub fn t(lang: Lang, text: Text) -> &'static str {
    use Text::*;
    match (lang, text) {
        (Lang::En, Title) => "Authorize application",
        (Lang::En, WantsAccess) => "wants to access your account",
        (Lang::En, SignedInAs) => "Signed in as",
        (Lang::En, NotYou) => "Not you? Use another account",
        (Lang::En, ProfileSection) => "Your profile",
        (Lang::En, OrganizationsSection) => "Organizations",
        (Lang::En, ShareOrganizations) => "Choose the organizations to share with this application:",
        (Lang::En, Optional) => "optional",
        (Lang::En, SentTo) => "After you decide you will be sent to",
        (Lang::En, Terms) => "Terms of use",
        (Lang::En, Privacy) => "Privacy policy",
        (Lang::En, Authorize) => "Authorize",
        (Lang::En, Cancel) => "Cancel",
        (Lang::Fr, Title) => "Autoriser l’application",
        (Lang::Fr, WantsAccess) => "souhaite accéder à votre compte",
        (Lang::Fr, SignedInAs) => "Connecté en tant que",
        (Lang::Fr, NotYou) => "Ce n’est pas vous ? Utiliser un autre compte",
        (Lang::Fr, ProfileSection) => "Votre profil",
        (Lang::Fr, OrganizationsSection) => "Organisations",
        (Lang::Fr, ShareOrganizations) => "Choisissez les organisations à partager avec cette application :",
        (Lang::Fr, Optional) => "facultatif",
        (Lang::Fr, SentTo) => "Après votre choix, vous serez redirigé vers",
        (Lang::Fr, Terms) => "Conditions d’utilisation",
        (Lang::Fr, Privacy) => "Politique de confidentialité",
        (Lang::Fr, Authorize) => "Autoriser",
        (Lang::Fr, Cancel) => "Annuler",
    }
}

/// A user scope in words (`latch_domain::scope::wording`, which the admin API shows too).
pub fn user_scope(lang: Lang, scope: &str) -> Option<&'static str> {
    latch_domain::scope::wording(scope, lang.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_choice() {
        assert_eq!(Lang::choose(&["fr-CA".into()], Some("en")), Lang::Fr, "ui_locales first");
        assert_eq!(Lang::choose(&["de".into()], Some("de, fr;q=0.8, en;q=0.5")), Lang::Fr);
        assert_eq!(Lang::choose(&[], Some("en;q=0.4, fr;q=0.9")), Lang::Fr, "by quality");
        assert_eq!(Lang::choose(&[], None), Lang::En);
        assert_eq!(Lang::choose(&[], Some("ja")), Lang::En);
    }
}
