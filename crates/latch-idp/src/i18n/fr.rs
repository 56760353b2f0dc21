//! Le catalogue français. French typography: a narrow no-break space (U+202F) before `?`, `!`
//! and `;`, a no-break space (U+00A0) before `:`, so no sign is left alone at a line start.

use super::{Phrase, Problems, Words};

pub const WORDS: Words = Words {
    sign_in_title: "Connexion",
    to_continue_to: "pour continuer vers",
    identifier: "Nom d’utilisateur ou e-mail",
    password: "Mot de passe",
    sign_in_button: "Se connecter",
    wrong_credentials: "Le nom d’utilisateur, l’e-mail ou le mot de passe est incorrect.",
    consent_title: "Autoriser l’application",
    wants_access: "souhaite accéder à votre compte",
    unverified_app: "Cette application s’est inscrite elle-même et personne ne l’a vérifiée. Ne continuez que si vous lui faites confiance.",
    signed_in_as: "Connecté en tant que",
    not_you: "Ce n’est pas vous\u{202f}? Utiliser un autre compte",
    profile_section: "Votre profil",
    organizations_section: "Organisations",
    share_organizations: "Choisissez les organisations à partager avec cette application\u{a0}:",
    optional: "facultatif",
    sent_to: "Après votre choix, vous serez redirigé vers",
    terms: "Conditions d’utilisation",
    privacy: "Politique de confidentialité",
    authorize: "Autoriser",
    cancel: "Annuler",
    apps_title: "Applications connectées",
    no_apps: "Aucune application n’est connectée à votre compte.",
    connected_on: "Connectée le",
    last_used: "Utilisée le",
    never_used: "Jamais utilisée",
    revoke: "Révoquer l’accès",
    revoke_note: "La révocation arrête aussitôt les jetons de rafraîchissement et d’accès de l’application. Les \
                  jetons d’accès à une API sont des jetons signés qui restent valides jusqu’à leur expiration, \
                  en quelques minutes.",
    returning: "Retour à l’application",
    continue_button: "Continuer",
    sign_out_title: "Déconnexion",
    sign_out_question: "Se déconnecter\u{202f}?",
    asks_to_sign_out: "demande à vous déconnecter.",
    an_app_asks_to_sign_out: "Une application demande à vous déconnecter.",
    stay_signed_in: "Rester connecté",
    sign_out_button: "Se déconnecter",
    signed_out_title: "Vous êtes déconnecté",
    signed_out_body: "Vous êtes déconnecté sur cet appareil.",
    asked_for_it: "l’a demandé.",
    close_page: "Vous pouvez fermer cette page.",
    create_account_link: "Pas encore de compte ? Créez-en un",
    have_account_link: "Déjà un compte ? Connectez-vous",
    sign_up_title: "Créer votre compte",
    email: "E-mail",
    username: "Nom d’utilisateur",
    name_optional: "Nom (facultatif)",
    password_hint: "Au moins 8 caractères. Une longue phrase se retient mieux et se devine moins.",
    create_account: "Créer le compte",
    email_taken: "Cette adresse e-mail a déjà un compte. Connectez-vous plutôt.",
    username_taken: "Ce nom d’utilisateur est pris. Choisissez-en un autre.",
    invalid_email: "Saisissez une adresse e-mail comme nom@example.com.",
    invalid_username: "Un nom d’utilisateur fait 1 à 128 lettres, chiffres, _, . ou -, sans @.",
    name_too_long: "Le nom est trop long : 256 caractères au plus.",
    password_too_short: "Le mot de passe doit faire au moins 8 caractères.",
    password_too_long: "Le mot de passe doit faire au plus 256 caractères.",
    password_too_common: "Ce mot de passe fait partie des plus courants. Choisissez-en un autre.",
    verify_title: "Vérifiez votre adresse e-mail",
    verify_lead: "Nous avons envoyé un code à 6 chiffres à",
    code: "Code",
    verify_button: "Vérifier",
    resend_button: "Envoyer un nouveau code",
    skip_button: "Plus tard",
    code_sent_again: "Un nouveau code est en route. Saisissez le code du dernier message.",
    code_wrong: "Ce code n’est pas le bon. Vérifiez le dernier message et réessayez.",
    code_expired: "Ce code a expiré ou a déjà servi. Demandez-en un nouveau.",
    code_too_many: "Trop de codes erronés : celui-ci ne fonctionne plus. Demandez-en un nouveau.",
    code_refused: "Ce code n’est pas le bon ou ne fonctionne plus. Vérifiez le dernier message ou demandez un \
                   nouveau code.",
    forgot_link: "Mot de passe oublié ?",
    reset_title: "Réinitialiser votre mot de passe",
    reset_lead: "Saisissez l’adresse e-mail de votre compte. Nous y enverrons un code.",
    send_code_button: "Envoyer le code",
    reset_sent: "Si un compte utilise cette adresse, nous y avons envoyé un code à 6 chiffres :",
    new_password: "Nouveau mot de passe",
    sign_out_apps: "Me déconnecter aussi de toutes les applications",
    sign_out_apps_hint: "Les applications vous demanderont de vous reconnecter sur tous vos appareils. Vous êtes \
                         toujours déconnecté de ce site partout ailleurs.",
    set_password_button: "Enregistrer et me connecter",
    back_to_sign_in: "Retour à la connexion",
    mail_verify_subject: "votre code de vérification",
    mail_verify_lead: "Saisissez ce code pour vérifier votre adresse e-mail :",
    mail_reset_subject: "réinitialisez votre mot de passe",
    mail_reset_lead: "Quelqu’un a demandé à réinitialiser le mot de passe de votre compte. Saisissez ce code pour \
                      en choisir un nouveau :",
    mail_expires_in: "Il expire dans",
    mail_minutes_once: "minutes et ne sert qu’une fois.",
    mail_not_you: "Si vous n’avez rien demandé, ignorez ce message : rien ne change sans le code. Ne donnez jamais \
                   ce code à personne, même à quelqu’un qui dit travailler pour nous.",
    device_title: "Connecter un appareil",
    device_lead: "Saisissez le code affiché par votre appareil.",
    user_code: "Code",
    device_warning: "Ne saisissez qu’un code affiché par un appareil que vous configurez vous-même, devant vous. \
                     Personne ne vous le demandera par téléphone, e-mail ou messagerie.",
    device_wrong_code: "Ce code n’est pas valide ou a expiré. Vérifiez le code sur votre appareil et réessayez.",
    device_consent_note: "Vous vous connectez sur un autre appareil, pas dans ce navigateur. Une fois votre choix \
                          fait, revenez à l’appareil.",
    device_approved_title: "Appareil connecté",
    device_approved_body: "est maintenant connecté sur votre appareil. Revenez-y ; vous pouvez fermer cette page.",
    device_denied_title: "Appareil non connecté",
    device_denied_body: "Rien n’a été partagé avec l’appareil. Vous pouvez fermer cette page.",
    details_for_developer: "Pour le développeur de l’application\u{a0}:",
    problems: Problems {
        expired_interaction: Phrase {
            title: "Cette connexion a expiré",
            body: "La page d’où vous venez n’est plus valide. Revenez à l’application et recommencez la connexion.",
        },
        bad_authorize_request: Phrase {
            title: "Cette demande de connexion ne peut pas aboutir",
            body: "L’application a envoyé une demande que Latch ne peut pas accepter\u{a0}; vous n’avez donc pas \
                   été renvoyé vers elle. Transmettez au développeur de l’application le texte ci-dessous.",
        },
        unreadable: Phrase {
            title: "Cette page ne peut pas être affichée",
            body: "Le lien ou le formulaire qui vous a mené ici est incomplet ou a été modifié. Revenez à \
                   l’application et recommencez.",
        },
        not_found: Phrase {
            title: "Cette page n’existe pas",
            body: "Vérifiez l’adresse, ou revenez à l’application d’où vous venez.",
        },
        too_many_attempts: Phrase {
            title: "Trop de tentatives",
            body: "Il y a eu trop de tentatives de connexion depuis votre réseau. Patientez quelques minutes puis \
                   réessayez.",
        },
        busy: Phrase {
            title: "Trop de demandes en ce moment",
            body: "Latch vérifie trop de connexions à la fois. Patientez un instant puis réessayez.",
        },
        unavailable: Phrase {
            title: "Service momentanément indisponible",
            body: "Latch ne peut pas joindre son stockage pour le moment. Réessayez dans un instant.",
        },
        not_signed_in: Phrase {
            title: "Vous n’êtes pas connecté",
            body: "Connectez-vous à une application avec votre compte, puis rouvrez cette page pour voir les \
                   applications que vous avez connectées.",
        },
        sign_in_again: Phrase {
            title: "Vous n’êtes pas connecté", body: "Connectez-vous de nouveau, puis réessayez."
        },
        page_expired: Phrase { title: "Cette page a expiré", body: "Rechargez la page puis réessayez." },
        unknown_grant: Phrase {
            title: "Application inconnue",
            body: "Cette application n’est pas connectée à votre compte.",
        },
        unknown_choice: Phrase { title: "Choix inconnu", body: "Choisissez Autoriser ou Annuler." },
        bad_logout_request: Phrase {
            title: "Cette demande de déconnexion ne peut pas aboutir",
            body: "L’application a envoyé une demande de déconnexion que Latch ne peut pas accepter. Vous êtes \
                   toujours connecté.",
        },
        expired_logout: Phrase {
            title: "Cette déconnexion a expiré",
            body: "La page d’où vous venez n’est plus valide. Revenez à l’application et déconnectez-vous de \
                   nouveau.",
        },
        still_signed_in: Phrase {
            title: "Vous êtes toujours connecté",
            body: "Rien n’a changé. Vous pouvez fermer cette page.",
        },
        bad_preview: Phrase {
            title: "Aperçu impossible",
            body: "La console a demandé un aperçu que Latch ne peut pas afficher.",
        },
        console_sign_in: Phrase {
            title: "Connectez-vous à la console",
            body: "L’aperçu est réservé aux administrateurs.",
        },
        not_allowed: Phrase { title: "Accès refusé", body: "Votre compte ne peut pas voir cet aperçu." },
        unknown_application: Phrase {
            title: "Application inconnue",
            body: "Aucune application ne porte cet identifiant.",
        },
        expired_device: Phrase {
            title: "Ce code d’appareil a expiré",
            body: "L’appareil a cessé d’attendre avant la fin, il n’a donc pas été connecté. Recommencez sur \
                   l’appareil pour obtenir un nouveau code.",
        },
        email_unverifiable: Phrase {
            title: "Votre adresse e-mail doit être vérifiée",
            body: "Les comptes doivent vérifier leur adresse e-mail avant de se connecter, et ce serveur ne peut pas \
                   envoyer d’e-mail pour le moment. Réessayez plus tard ou contactez les responsables du service.",
        },
    },
};
