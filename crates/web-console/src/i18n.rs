//! The console's words, French by default, English on request (`?lang=en`, then the `lang`
//! cookie, then `Accept-Language`).

use std::collections::BTreeMap;

use crate::http::Request;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    fn parse(s: &str) -> Option<Lang> {
        match s.trim().get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("fr") => Some(Lang::Fr),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }

    /// The language of a request, and whether it was chosen by `?lang=` (to keep in a cookie).
    pub fn of(req: &Request) -> (Lang, bool) {
        if let Some(l) = req.query("lang").as_deref().and_then(Lang::parse) {
            return (l, true);
        }
        if let Some(l) = req.cookie("lang").as_deref().and_then(Lang::parse) {
            return (l, false);
        }
        let accepted = req.header("accept-language").and_then(|h| {
            h.split(',')
                .find_map(|tag| Lang::parse(tag.split(';').next()?))
        });
        (accepted.unwrap_or(Lang::Fr), false)
    }
}

/// (key, French, English).
const WORDS: &[(&str, &str, &str)] = &[
    ("title", "Console passerelle", "passerelle console"),
    ("login", "Connexion", "Sign in"),
    ("user", "Utilisateur", "User"),
    ("password", "Mot de passe", "Password"),
    ("sign_in", "Se connecter", "Sign in"),
    ("logout", "Se déconnecter", "Sign out"),
    (
        "bad_login",
        "Nom d'utilisateur ou mot de passe incorrect.",
        "Wrong user name or password.",
    ),
    (
        "too_many",
        "Trop de tentatives : réessayez dans 15 minutes.",
        "Too many attempts: try again in 15 minutes.",
    ),
    ("dossiers", "Dossiers", "Dossiers"),
    ("dossier", "Dossier", "Dossier"),
    ("last_night", "Dernière synchronisation", "Last run"),
    ("outcome", "Résultat", "Outcome"),
    ("pushed", "Envoyés", "Pushed"),
    ("held", "En attente", "Held"),
    ("rejected", "Rejetés", "Rejected"),
    ("failed", "En échec", "Failed"),
    ("next_run", "Prochaine synchronisation", "Next run"),
    ("ledger", "Logiciel comptable", "Ledger"),
    ("never", "jamais", "never"),
    ("needs_action", "action requise", "action needed"),
    ("to_watch", "à surveiller", "to watch"),
    ("all_good", "rien à faire", "nothing to do"),
    ("log", "Journalisation", "Integration log"),
    ("date", "Date", "Date"),
    ("object", "Objet", "Object"),
    ("message", "Message", "Message"),
    ("action", "Action à entreprendre", "Action to take"),
    ("severity", "Gravité", "Severity"),
    ("info", "info", "info"),
    ("warning", "avertissement", "warning"),
    ("error", "erreur", "error"),
    (
        "only_problems",
        "Avertissements et erreurs seulement",
        "Warnings and errors only",
    ),
    ("only_errors", "Erreurs seulement", "Errors only"),
    ("everything", "Tout", "Everything"),
    ("from", "Du", "From"),
    ("to", "Au", "To"),
    ("text", "Texte", "Text"),
    ("filter", "Filtrer", "Filter"),
    (
        "shown",
        "lignes affichées, les plus récentes en premier",
        "lines shown, newest first",
    ),
    ("older", "Lignes plus anciennes", "Older lines"),
    (
        "test_connection",
        "Tester la connexion",
        "Test the connection",
    ),
    (
        "test_connection_hint",
        "Vérifie les accès Sellsy (droits, quotas) et le logiciel comptable (journaux, comptes) ; ne modifie rien.",
        "Checks the Sellsy access (scopes, quotas) and the ledger (journals, accounts); changes nothing.",
    ),
    ("check", "Vérification", "Check"),
    ("detail", "Détail", "Detail"),
    ("verdict_ok", "OK", "OK"),
    ("verdict_warning", "Avertissement", "Warning"),
    ("verdict_error", "Échec", "Failed"),
    (
        "checks_failed",
        "vérification(s) en échec : voir l'action à entreprendre.",
        "check(s) failed: see the action to take.",
    ),
    (
        "connection_ok",
        "Connexions vérifiées, rien ne bloque.",
        "Connections checked, nothing blocks.",
    ),
    (
        "no_tester",
        "Ce service ne peut pas tester les connexions ici : lancez passerelle test-connection.",
        "This service cannot test connections here: run passerelle test-connection.",
    ),
    ("newest", "Revenir aux plus récentes", "Back to the newest"),
    (
        "no_event",
        "Aucun événement pour ces filtres.",
        "No event for these filters.",
    ),
    (
        "documents_to_fix",
        "Documents en attente ou rejetés",
        "Held and rejected documents",
    ),
    ("document", "Document", "Document"),
    ("state", "État", "State"),
    ("reason", "Raison", "Reason"),
    (
        "none_to_fix",
        "Aucun document en attente ou rejeté.",
        "No held or rejected document.",
    ),
    ("sync_now", "Synchroniser maintenant", "Synchronise now"),
    ("retry", "Relancer", "Retry"),
    (
        "retried",
        "Document relancé : il est de nouveau traité avec les réglages actuels.",
        "Document retried: it is processed again with the current settings.",
    ),
    (
        "period_hint",
        "Période facultative (par défaut : celle de la nuit).",
        "Optional period (default: the nightly one).",
    ),
    (
        "no_source",
        "Ce dossier n'a pas de connexion Sellsy : rien à synchroniser.",
        "This dossier has no Sellsy connection: nothing to synchronise.",
    ),
    (
        "read_only",
        "Lecture seule : vous ne pouvez pas lancer d'action.",
        "Read-only: you cannot start an action.",
    ),
    ("runs", "Synchronisations", "Runs"),
    ("run", "Synchronisation", "Run"),
    ("trigger", "Origine", "Trigger"),
    ("started", "Début", "Started"),
    ("finished", "Fin", "Finished"),
    ("pulled", "Lus", "Pulled"),
    ("new", "Nouveaux", "New"),
    ("changed", "Modifiés", "Changed"),
    (
        "in_progress",
        "En cours… la page se met à jour toute seule.",
        "In progress… this page updates itself.",
    ),
    (
        "run_done",
        "Synchronisation terminée : l'envoi au logiciel comptable continue en arrière-plan.",
        "Run finished: pushing to the ledger goes on in the background.",
    ),
    ("run_failed", "Synchronisation en échec", "Run failed"),
    ("back", "Retour au dossier", "Back to the dossier"),
    ("mail", "Collecte par e-mail", "Mail collection"),
    ("addresses", "Adresses de collecte", "Collection addresses"),
    (
        "allowed_senders",
        "Expéditeurs autorisés",
        "Allowed senders",
    ),
    (
        "everyone",
        "Tout le monde (courrier authentifié)",
        "Everyone (authenticated mail)",
    ),
    (
        "nobody",
        "Personne : ajoutez des expéditeurs dans la configuration.",
        "Nobody: add senders to the configuration.",
    ),
    ("formats", "Formats acceptés", "Accepted formats"),
    (
        "last_mails",
        "Derniers e-mails reçus",
        "Last mails received",
    ),
    ("sender", "Expéditeur", "Sender"),
    ("subject", "Objet", "Subject"),
    ("result", "Résultat", "Outcome"),
    ("no_mail", "Aucun e-mail reçu.", "No mail received."),
    (
        "no_domain",
        "Aucun domaine de collecte ([service] mail_domains).",
        "No collection domain ([service] mail_domains).",
    ),
    (
        "documents_collected",
        "document(s) collecté(s)",
        "document(s) collected",
    ),
    (
        "forbidden",
        "Vous n'avez pas accès à cette page.",
        "You may not open this page.",
    ),
    ("not_found", "Page introuvable.", "Page not found."),
    (
        "csrf",
        "Le formulaire a expiré : rechargez la page et recommencez.",
        "The form has expired: reload the page and try again.",
    ),
    ("language", "English", "Français"),
    ("skip", "Aller au contenu", "Skip to content"),
    (
        "bad_period",
        "Période invalide : deux dates AAAA-MM-JJ, la première avant la seconde.",
        "Invalid period: two YYYY-MM-DD dates, the first before the second.",
    ),
    ("signed_in_as", "Connecté en tant que", "Signed in as"),
];

/// The words of a language, by key, for the templates (`t.key`).
pub fn words(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    WORDS
        .iter()
        .map(|(k, fr, en)| (*k, if lang == Lang::Fr { *fr } else { *en }))
        .collect()
}
