# Interface web de Concord — français.

## Cadre
skip-to-content = Aller au contenu
nav-label = Navigation principale
nav-dashboard = Tableau de bord
nav-browse = Parcourir et rechercher
nav-import = Importer
nav-matching = Flux et correspondances
nav-admin = Administration
language-label = Langue
signout = Se déconnecter
footer-text = Concord — partage d’informations sur les menaces entre CERT, chaque nœud restant souverain sur ses données.
back-to-dashboard = Retour au tableau de bord
yes = oui
no = non

## Dates (UTC) et nombres
month-1 = janv.
month-2 = févr.
month-3 = mars
month-4 = avr.
month-5 = mai
month-6 = juin
month-7 = juil.
month-8 = août
month-9 = sept.
month-10 = oct.
month-11 = nov.
month-12 = déc.
date-format = { $day } { $month } { $year }
datetime-format = { $day } { $month } { $year }, { $time } UTC
objects-count =
    { $count ->
        [one] { $count } objet
        [many] { $count } d’objets
       *[other] { $count } objets
    }

## Erreurs
error-title = Une erreur s’est produite
error-not-found = Cette page n’existe pas.
error-no-object = Cet objet n’existe pas sur ce nœud, ou votre habilitation ne le couvre pas.
error-forbidden = Votre rôle ne permet pas cette action.
error-csrf = Le formulaire avait expiré ou ne provenait pas de ce site. Veuillez réessayer.
error-internal = Une erreur interne s’est produite (référence { $id }). L’opérateur la retrouvera dans le journal du nœud.

## Connexion
signin-title = Connexion
signin-username = Nom d’utilisateur
signin-password = Mot de passe
signin-submit = Se connecter
signin-failed = Nom d’utilisateur ou mot de passe incorrect.
signin-locked = Trop de tentatives échouées pour ce nom d’utilisateur. Réessayez dans 15 minutes.
signin-locked-address = Trop de tentatives de connexion échouées depuis cette adresse. Réessayez dans 15 minutes.

## Tableau de bord
dashboard-title = Tableau de bord
dashboard-total =
    { $count ->
        [one] Vous pouvez voir { $count } objet sur ce nœud.
        [many] Vous pouvez voir { $count } d’objets sur ce nœud.
       *[other] Vous pouvez voir { $count } objets sur ce nœud.
    }
dashboard-by-type = Objets par type
dashboard-by-tlp = Objets par niveau TLP
dashboard-over-time =
    { $days ->
        [one] Objets ajoutés le dernier jour, par source
       *[other] Objets ajoutés ces { $days } derniers jours, par source
    }
dashboard-other-types = Autres types
dashboard-other-sources = Autre source ou aucune
dashboard-empty = Aucun objet pour l’instant.
dashboard-sightings = Observations récentes
dashboard-incidents = Incidents récents
dashboard-no-sightings = Aucune observation pour l’instant.
dashboard-health = Pairs, flux et incidents
dashboard-peers-none = Aucun pair n’est connecté : la fédération n’est pas encore configurée sur ce nœud.
dashboard-feeds-none = Aucun flux n’est configuré sur ce nœud.
dashboard-recent = Ajouts récents
chart-table = Afficher les chiffres
chart-day = Jour

## Parcourir et rechercher
browse-title = Parcourir et rechercher
browse-search = Texte recherché (toute langue)
browse-type = Type
browse-tlp = Niveau TLP
browse-label = Étiquette
browse-source = Source (identifiant d’identité)
browse-from = Ajouté à partir du
browse-to = Ajouté jusqu’au
browse-any = Tous
browse-submit = Rechercher
browse-empty = Aucun objet ne correspond à ces filtres.
browse-shown =
    { $count ->
        [one] { $count } objet sur cette page.
       *[other] { $count } objets sur cette page.
    }
browse-bad-text = Le texte recherché est trop long (500 caractères au plus).
browse-bad-type = Ce type n’est pas un nom de type STIX.
browse-bad-tlp = Niveau TLP inconnu.
browse-bad-source = La source doit être un identifiant STIX, par exemple identity--…
browse-bad-date = Les dates s’écrivent AAAA-MM-JJ.
browse-bad-cursor = Ce lien de page n’est pas valide ; recommencez à la première page.
pager-label = Pages
pager-first = Première page
pager-next = Page suivante

## Colonnes
col-name = Nom
col-type = Type
col-tlp = TLP
col-modified = Modifié
col-added = Ajouté
col-created = Créé
col-direction = Sens
col-relationship = Relation
col-object = Objet
col-kind = Nature
col-value = Valeur partagée
col-status = État
col-details = Détails
col-actions = Actions
col-indicator = Indicateur
col-count = Nombre
col-first-seen = Vu la première fois
col-last-seen = Vu la dernière fois
col-sighting = Observation

## Page d’un objet
object-fields = Propriétés
object-markings = Marquages
object-no-markings = Aucun marquage (traité comme TLP:CLEAR).
object-relationships =
    { $count ->
        [one] { $count } relation
       *[other] { $count } relations
    }
object-correlations =
    { $count ->
        [one] { $count } corrélation
       *[other] { $count } corrélations
    }
object-not-held = absent de ce nœud
object-open-graph = Graphe des objets liés
object-json = Afficher le JSON STIX
direction-outgoing = fait référence à
direction-incoming = référencé par
field-name = Nom
field-description = Description
field-type = Type
field-id = Identifiant
field-created = Créé
field-modified = Modifié
field-created-by = Créé par
field-labels = Étiquettes
field-confidence = Confiance
field-pattern = Motif
field-valid-from = Valide à partir du
field-valid-until = Valide jusqu’au
field-aliases = Alias
field-first-seen = Vu la première fois
field-last-seen = Vu la dernière fois
field-relationship-type = Type de relation
field-source = Source
field-target = Cible
field-value = Valeur
field-external-references = Références externes
field-kill-chain-phases = Phases de la chaîne d’attaque
field-revoked = Révoqué
versions-heading =
    { $count ->
        [one] { $count } version
       *[other] { $count } versions
    }
versions-current = actuelle
versions-compare-a = Comparer depuis
versions-compare-b = Comparer avec
versions-compare = Afficher les différences
diff-caption =
    { $count ->
        [one] { $count } propriété diffère
       *[other] { $count } propriétés diffèrent
    }
diff-property = Propriété
diff-version = Version du { $version }
diff-changed = modifiée
diff-added = ajoutée
diff-removed = supprimée
diff-same =
    { $count ->
        [one] { $count } autre propriété est identique.
       *[other] { $count } autres propriétés sont identiques.
    }

## Graphe
graph-title = Graphe : { $name }
graph-svg-title = Objets liés à { $name }
graph-back = Retour à l’objet
graph-empty = Aucun objet lié ou corrélé que vous puissiez voir.
graph-legend = Traits pleins : relations et références. Traits tiretés : une valeur observable partagée.
graph-nodes =
    { $count ->
        [one] { $count } objet dans le graphe
       *[other] { $count } objets dans le graphe
    }

## Import
import-title = Importer
import-file = STIX 2.1, MISP JSON, CSAF 2.0, liste de valeurs (une par ligne) ou fichier CSV
import-help = Le format est reconnu d’après le contenu. Chaque objet est vérifié selon STIX 2.1 ; les objets valides sont enregistrés, et chaque objet rejeté est listé avec la propriété et la règle en cause.
import-submit = Importer
import-no-file = Choisissez d’abord un fichier.
import-not-stix = Ce fichier n’est pas un document STIX : { $reason }
upload-failed = L’envoi a échoué : { $reason }
import-summary = Nouveaux : { $new }. Nouvelles versions : { $versions }. Inchangés : { $unchanged }. Conflits : { $conflicts }. Rejetés : { $rejected }.
import-results = Résultat par objet
import-accepted = accepté
import-rejected = rejeté
import-more-results =
    { $count ->
        [one] et { $count } autre objet.
       *[other] et { $count } autres objets.
    }
import-another = Importer un autre fichier
outcome-new = nouveau
outcome-new-version = nouvelle version
outcome-unchanged = déjà présent
outcome-conflict = conflit : cette version est détenue avec un autre contenu

## Flux et correspondances
matching-title = Flux et correspondances
matching-file = Fichier journal
matching-format = Format
matching-submit = Comparer aux indicateurs
matching-bad-format = Format de journal inconnu.
matching-not-ready = L’index des indicateurs est encore en construction. Réessayez dans un instant.
matching-summary = Lignes lues : { $lines }. Observations : { $observations }. Lignes mal formées : { $malformed }. Observations d’indicateurs enregistrées : { $sightings }.
matching-none = Aucun indicateur visible pour vous ne correspond à ce journal.
matching-sightings = Observations
matching-errors = Lignes mal formées
matching-line = Ligne { $line }
matching-another = Comparer un autre journal
feeds-heading = Flux
format-eve = Suricata EVE (lignes JSON)
format-zeek = Zeek (lignes JSON)
format-ecs = Elastic Common Schema (lignes JSON)
format-csv = CSV
format-lines = Une valeur par ligne
format-stix = STIX observed-data

## Compte
account-title = Mon compte
account-profile = Profil
account-name = Nom d’utilisateur
account-role = Rôle
account-clearance = Habilitation TLP
account-tokens = Mes jetons d’API
account-no-tokens = Aucun jeton d’API.
account-new-token = Nouveau jeton d’API
account-token-name = Usage du jeton
account-create-token = Créer le jeton
account-token-created = Jeton créé.
account-token-once = Copiez ce secret maintenant : il n’est affiché qu’une fois.
account-token-invalid = Donnez au jeton un nom (200 caractères au plus) et un rôle qui ne dépasse pas le vôtre.
account-revoke = Révoquer
account-password = Changer de mot de passe
account-current-password = Mot de passe actuel
account-new-password = Nouveau mot de passe
account-confirm-password = Nouveau mot de passe (à nouveau)
account-change-password = Changer le mot de passe
password-mismatch = Les deux nouveaux mots de passe diffèrent.
password-too-short = Le mot de passe doit compter au moins 10 caractères.
password-too-long = Le mot de passe doit compter au plus 1024 caractères.
password-wrong = Le mot de passe actuel est incorrect.
role-reader = lecteur
role-analyst = analyste
role-admin = administrateur

## Administration
admin-title = Administration
admin-users =
    { $count ->
        [one] { $count } utilisateur
       *[other] { $count } utilisateurs
    }
admin-disabled = Désactivé
admin-save = Enregistrer
admin-new-user = Nouvel utilisateur
admin-create-user = Créer l’utilisateur
admin-bad-name = Un nom d’utilisateur compte de 1 à 64 caractères, sans espace.
admin-bad-user = Choisissez un rôle et une habilitation TLP valides.
admin-name-taken = Le nom d’utilisateur { $name } est déjà pris.
admin-user-created = Utilisateur { $name } créé.
admin-user-saved = Modifications enregistrées.
admin-self = Vous ne pouvez ni abaisser votre propre rôle ni vous désactiver.
admin-tokens = Tous les jetons d’API
admin-owner = Propriétaire
admin-no-owner = aucun (créé en ligne de commande)
admin-collections = Collections TAXII
admin-collections-root = Racine d’API : { $root }
admin-collection-filter = Contenu
admin-collection-all = tous les objets
admin-collection-read = Lecture
admin-collection-write = Écriture

## Pairs et journal d’audit
nav-peers = Pairs et audit
peers-title = Pairs et journal d’audit
peers-heading =
    { $count ->
        [one] { $count } pair
       *[other] { $count } pairs
    }
peers-never = jamais
col-url = Adresse
col-agreement = Accord
col-last-sync = Dernière récupération
col-lag = Modifications en retard
col-received = Objets reçus
col-last-error = Dernière erreur
audit-heading = Journal d’audit des décisions de sortie
audit-verify = Vérifier toute la chaîne
audit-empty = Aucune décision de sortie enregistrée pour l’instant.
audit-intact =
    { $count ->
        [one] La chaîne d’audit est intacte ({ $count } entrée vérifiée).
       *[other] La chaîne d’audit est intacte ({ $count } entrées vérifiées).
    }
audit-broken = La chaîne d’audit est rompue à l’entrée { $n } : elle a été modifiée ou supprimée.
col-at = Heure
col-peer = Pair
col-verdict = Décision
col-hash = Empreinte
verdict-send = envoyé
verdict-send-redacted = envoyé expurgé
verdict-withhold = retenu
dashboard-peers =
    { $count ->
        [one] { $count } pair est connecté.
       *[other] { $count } pairs sont connectés.
    }
dashboard-peers-failing =
    { $count ->
        [one] { $count } a échoué lors de sa dernière récupération.
       *[other] { $count } ont échoué lors de leur dernière récupération.
    }
object-provenance = Provenance
provenance-local = Créé sur ce nœud ou importé ici (non reçu d’un pair).
provenance-origin = Nœud d’origine
provenance-received-from = Reçu de
provenance-hops = Repartages encore autorisés
provenance-redacted-by = Expurgé par
provenance-signer-revoked = Clé de signature révoquée
provenance-revoked-origin = La clé de l'origine a été révoquée par { $community } à partir du { $since } ; cette version a été signée avant et est conservée.
provenance-revoked-redactor = La clé du nœud qui a expurgé a été révoquée par { $community } à partir du { $since } ; cette version a été signée avant et est conservée.

## Incidents
nav-incidents = Incidents
incidents-title = Incidents
incidents-empty = Aucun incident visible pour vous n’est détenu sur ce nœud.
incident-status = État de l’investigation
incident-determination = Conclusion
incident-severity = Gravité
incident-origin = Ouvert par
incident-local = ce nœud
incident-alert = alerte
incident-object = L’incident en tant qu’objet STIX
incident-state = État
versions-heading-plain = Versions
incident-acks = Accusés de réception de l’alerte (tour { $round })
incident-overdue = en retard
incident-timeline = Chronologie
incident-timeline-empty = Rien ne s’est encore passé sur cet incident.
incident-said-by = Émis par
kind-incident = incident
kind-ack = accusé de réception
kind-request = demande d’assistance
kind-request-response = réponse à une demande
kind-custody = chaîne de possession
kind-constituency-notification = notification à la circonscription

## Explication de la politique de sortie
object-open-policy = Ce que recevrait chaque pair
policy-title = Ce que recevrait chaque pair : { $name }
policy-title-plain = Ce que recevrait chaque pair
policy-no-federation = Ce nœud n’est pas fédéré : rien n’en sort.
policy-changed = Propriétés modifiées ou retirées dans la copie envoyée :
policy-rule = Règle
policy-effect = Effet
policy-why = Pourquoi (explication de la politique)
effect-allow = autorise
effect-deny = retient
effect-redact = expurge
effect-detect = détecte une catégorie
import-read-as = Lu comme : { $format }
import-problems =
    { $count ->
        [one] { $count } enregistrement n’a pas pu être converti
       *[other] { $count } enregistrements n’ont pas pu être convertis
    }
import-format-stix = STIX 2.1
import-format-misp = JSON MISP
import-format-csaf = avis CSAF 2.0
import-format-lines = une valeur par ligne
# Feeds (the CLI's [[feeds]] and feeds-state.json)
feeds-unreadable = Un fichier des flux n’a pas pu être lu : { $reason }
feeds-not-configured = (ne figure plus dans concord.toml)
feeds-never-run = Pas encore exécuté.
feeds-ok = aucune
feeds-errors =
    { $count ->
        [one] { $count } erreur
       *[other] { $count } erreurs
    }
feeds-more-errors =
    { $count ->
        [one] et { $count } autre erreur.
       *[other] et { $count } autres erreurs.
    }
col-last-run = Dernière exécution
col-new = Nouveaux
col-new-versions = Nouvelles versions
col-unchanged = Inchangés
col-expired = Expirés
col-rejected = Rejetés ou non convertibles
col-errors = Erreurs
# Import jobs
import-uploading = Envoi du fichier
import-recent = Vos imports récents
import-running = en cours
import-failed = échoué
import-busy = Vous avez déjà des imports en cours. Attendez que l’un d’eux soit terminé.
import-full = Le serveur est occupé par d’autres imports. Réessayez dans un instant.
import-job-unknown = Cet import n’existe pas. Les imports sont conservés une heure, et seulement pour l’utilisateur qui les a lancés.
import-file-name = Fichier :
import-bytes = Taille en octets : { $count }
import-reading = Lecture et conversion du fichier
import-progress = Objets enregistrés : { $done }
# Live notifications
nav-notifications = Notifications
live-label = Notifications en direct
live-new = Nouvel objet { $type } : { $name }
notifications-title = Notifications
notifications-no-subscription = Aucun abonnement web ne vous inclut. Un administrateur peut en ajouter un dans response.toml : une [[subscription]] avec web = true, ou web = ["votre nom d’utilisateur"].
notifications-none = Aucune notification depuis le démarrage du serveur.
notifications-recent = Notifications récentes
col-subscription = Abonnement
feeds-line = dernière exécution le { $date } : { $new } nouveaux, { $versions } nouvelles versions, { $rejected } rejetés ou non convertibles.
import-layout = Structure d’une liste ou d’un fichier CSV
import-layout-auto = La reconnaître d’après le contenu
import-bad-layout = Aucune structure connue ne s’appelle « { $name } ». Choisissez-en une dans la liste.
import-format-csv = une liste ou un fichier CSV avec la structure choisie

## Communauté (ticket 24)
nav-community = Communauté
community-title = Communauté { $name }
community-title-plain = Communauté
community-proposals-title = Propositions de { $name }
community-log-title = Historique de { $name }
community-not-found = Ce nœud n’appartient à aucune communauté de ce nom.
community-none = Ce nœud n’appartient à aucune communauté. Une communauté se fonde avec `concord community create` ; on la rejoint en posant sa candidature auprès d’un membre.
community-choose = Ce nœud appartient à plusieurs communautés. Choisissez-en une :
community-pages = Pages de la communauté
community-overview = Membres et charte
community-proposals = Propositions
community-history = Historique
community-kind-admit = Admettre un membre
community-kind-suspend = Suspendre un membre
community-kind-readmit = Réintégrer un membre
community-kind-expel = Exclure un membre
community-kind-revoke-key = Révoquer une clé
community-kind-change-charter = Modifier la charte
community-kind-define = Adopter une définition
community-status-active = actif
community-status-suspended = suspendu
community-status-expelled = exclu
community-threshold-count =
    { $count ->
        [one] { $count } membre
       *[other] { $count } membres
    }
community-threshold-fraction = { $fraction } des membres appelés à voter
community-days =
    { $count ->
        [one] { $count } jour
       *[other] { $count } jours
    }
community-hours =
    { $count ->
        [one] { $count } heure
       *[other] { $count } heures
    }
community-minutes =
    { $count ->
        [one] { $count } minute
       *[other] { $count } minutes
    }
community-founded = Fondée le { $date }
community-entries-counted =
    { $count ->
        [one] { $count } entrée du journal prise en compte
       *[other] { $count } entrées du journal prises en compte
    }
community-entries-refused =
    { $count ->
        [one] { $count } refusée
       *[other] { $count } refusées
    }
community-charter = Charte
community-col-decision = Décision
community-col-threshold = Seuil
community-col-needed-now =
    { $count ->
        [one] Voix pour nécessaires avec { $count } membre actif
       *[other] Voix pour nécessaires avec { $count } membres actifs
    }
community-col-period = Durée du vote
community-col-sponsors = Parrains
community-members =
    { $count ->
        [one] { $count } membre
       *[other] { $count } membres
    }
community-col-organisation = Organisme
community-col-country = Pays
community-col-sectors = Secteurs
community-col-since = Membre depuis
community-col-fingerprint = Empreinte de la clé
community-col-refused-here = Refusé par ce nœud
community-refused = Refusé
community-refusals = Refusés par ce nœud
community-refusals-none = Ce nœud ne refuse aucun membre de cette communauté.
community-refusals-about = Ce nœud n’échange aucune donnée avec ces membres, quoi qu’ait décidé la communauté (`concord community refuse`).
community-equivocations = Votes contradictoires
community-equivocations-about = Ces membres ont signé deux entrées contradictoires ; la première compte, la seconde a été refusée.
community-definitions = Définitions de la communauté
community-definitions-none = Aucune définition n’a été adoptée.
community-state-open = ouverte
community-state-expired = expirée sans décision
community-state-passed = adoptée
community-state-failed = rejetée
community-state-superseded = remplacée par
community-yes = pour
community-no = contre
community-proposed-by = Proposée par { $member }
community-yes-votes = Voix pour
community-no-votes = Voix contre
community-needed = Nécessaire
community-needed-of =
    { $count ->
        [one] { $needed } voix pour sur { $count } membre appelé à voter
       *[other] { $needed } voix pour sur { $count } membres appelés à voter
    }
community-time-left = Temps restant
community-votes-cast = Votes exprimés
community-col-member = Membre
community-col-vote = Choix
community-vote-yes = Voter pour
community-vote-no = Voter contre
community-voted-already = Ce nœud a voté { $choice }.
community-cannot-vote = Ce nœud n’est pas appelé à voter sur cette proposition.
community-propose = Proposer une décision
community-propose-about = La proposition est signée avec la clé de ce nœud et compte comme son vote pour. Remplissez les champs dont la décision a besoin : un membre pour une suspension, une réintégration ou une exclusion ; un membre et sa clé pour une révocation ; un nom et une valeur JSON pour une définition ; la charte entière (JSON) pour la modifier. Les admissions se proposent avec `concord community propose admit`, qui vérifie la candidature signée.
community-field-member = Membre
community-field-key = Clé à révoquer (hexadécimal)
community-field-replacement = Clé de remplacement (hexadécimal, facultative)
community-field-application = Candidature du nœud (JSON produit par concord community apply)
community-field-sponsors = Autres parrains (identifiants de nœud, séparés par des virgules)
community-field-name = Nom de la définition
community-field-value = Valeur de la définition (JSON)
community-field-charter = Nouvelle charte (JSON)
community-field-note = Motif (en quelques mots)
community-propose-submit = Signer et proposer
community-open =
    { $count ->
        [one] { $count } proposition ouverte
       *[other] { $count } propositions ouvertes
    }
community-open-none = Aucune proposition n’est ouverte.
community-not-member = Ce nœud n’est pas membre actif de cette communauté ; il ne peut ni proposer ni voter.
community-decided = Propositions tranchées ou expirées
community-decided-none = Aucune proposition n’a encore été tranchée.
community-col-tally = Voix pour / nécessaires
community-no-key = Ce nœud ne fédère pas : il n’a pas de clé pour signer.
community-not-counted = L’entrée ne compterait pas ; elle n’a pas été enregistrée : { $reason }
community-bad-choice = Un vote est pour ou contre.
community-no-proposal = Cette proposition n’existe pas.
community-voted = Le vote a été signé et enregistré ; il parviendra aux autres membres à la prochaine synchronisation.
community-proposed = La proposition a été signée et enregistrée ; elle parviendra aux autres membres à la prochaine synchronisation.
community-need-member = Choisissez le membre concerné par la décision.
community-need-key = Indiquez la clé à révoquer.
community-need-application = Collez la candidature du nœud candidat.
community-bad-application = La candidature n’est pas valide : { $detail }
community-need-name = Indiquez le nom de la définition.
community-bad-json = La valeur n’est pas du JSON : { $detail }
community-bad-charter = La charte n’est pas acceptable : { $detail }
community-bad-action = Choisissez un type de décision.
community-entry-proposal = Proposition : { $kind }
community-entry-vote-yes = Vote pour sur
community-entry-vote-no = Vote contre sur
community-entry-rotate = Changement de clé, effectif le { $date }
community-log-total =
    { $count ->
        [one] { $count } entrée dans le journal
       *[other] { $count } entrées dans le journal
    }
community-log-empty = Le journal n’a aucune entrée sur cette page.
community-col-author = Auteur
community-col-counted = Prise en compte
community-counted = prise en compte
community-not-counted-short = refusée
live-governance = { $event } : { $name }
live-governance-proposed = Nouvelle proposition
live-governance-member-admitted = Membre admis
live-governance-member-suspended = Membre suspendu
live-governance-member-readmitted = Membre réintégré
live-governance-member-expelled = Membre exclu
live-governance-key-revoked = Clé révoquée
live-governance-charter-changed = Charte modifiée
live-governance-definition-adopted = Définition adoptée
live-governance-failed = Proposition rejetée
live-governance-expired = Proposition expirée
live-governance-superseded = Proposition remplacée
