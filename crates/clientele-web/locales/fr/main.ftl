# Clientele — Français

skip-to-content = Aller au contenu
nav-label = Navigation principale
nav-open = Menu
nav-home = Accueil
nav-contacts = Contacts
nav-companies = Entreprises
nav-deals = Affaires
nav-tasks = Tâches
nav-inbox = Boîte de réception
nav-reports = Rapports
nav-settings = Paramètres
user-menu = Menu du compte
sign-out = Se déconnecter

role-admin = Administrateur
role-head = Responsable des ventes
role-manager = Commercial
role-readonly = Lecture seule

locale-en = English
locale-fr = Français
locale-ru = Русский
locale-bg = Български
locale-ko = 한국어

field-email = E-mail
field-password = Mot de passe
field-name = Nom
field-role = Rôle
field-team = Équipe
field-locale = Langue
field-time-zone = Fuseau horaire
field-current-password = Mot de passe actuel
field-new-password = Nouveau mot de passe
field-confirm-password = Confirmez le nouveau mot de passe

action-save = Enregistrer
action-cancel = Annuler
action-delete = Supprimer
action-copy = Copier
action-filter = Filtrer

list-empty = Rien ici pour le moment.
list-next = Page suivante

login-title = Connexion
login-heading = Connectez-vous à Clientele
login-subtitle = Vos clients, vos affaires et vos conversations réunis en un seul endroit.
login-submit = Se connecter
login-failed = E-mail ou mot de passe incorrect.
login-missing = Saisissez votre e-mail et votre mot de passe.
login-expired = Le formulaire de connexion a expiré. Veuillez réessayer.
login-rate-limited = Trop de tentatives infructueuses. Réessayez dans { $minutes } min.

home-welcome = Bienvenue, { $name }
home-subtitle = Voici un aperçu de votre espace de travail.
home-you = Vous
home-no-team = Aucune équipe
home-workspace = Espace de travail
home-users = Utilisateurs
home-database = Base de données
home-version = Version
home-api = API
home-api-text = Tout ce que vous faites dans Clientele peut aussi se faire via l'API JSON, avec des jetons d'API pour vos scripts et vos intégrations.
home-api-docs = Référence de l'API

section-contacts-empty = Les personnes à qui vous vendez apparaîtront ici, avec leurs téléphones, leurs e-mails, leurs responsables et leur historique.
section-companies-empty = Les organisations et leurs interlocuteurs apparaîtront ici.
section-deals-empty = Vos pipelines et vos affaires apparaîtront ici sous forme de tableau et de liste.
section-tasks-empty = Les appels, réunions et tâches pour vous et votre équipe apparaîtront ici.
section-inbox-empty = Les demandes reçues par e-mail, formulaires, messageries et appels téléphoniques arriveront ici.
section-reports-empty = Les rapports sur l'entonnoir de vente, les ventes et l'activité s'afficheront ici.

settings-profile = Profil
settings-profile-text = Votre nom, votre langue, votre fuseau horaire et votre mot de passe.
settings-tokens = Jetons d'API
settings-tokens-text = Clés permettant à des scripts et intégrations d'agir en votre nom.
settings-users = Utilisateurs
settings-users-text = Qui peut se connecter, et avec quel rôle.
settings-teams = Équipes
settings-teams-text = Équipes et services ; les responsables des ventes voient les enregistrements de leur équipe.
settings-audit = Journal d'audit
settings-audit-text = Qui a modifié quoi, et quand.
settings-edit-user = Modifier l'utilisateur

profile-locale-auto = Langue du navigateur

password-heading = Changer le mot de passe
password-submit = Changer le mot de passe
password-hint = Au moins 10 caractères. Vos autres sessions seront déconnectées.
password-mismatch = Les deux nouveaux mots de passe ne correspondent pas.

users-search = Rechercher des utilisateurs
users-last-login = Dernière connexion
users-inactive = désactivé
users-new = Nouvel utilisateur
users-create = Créer l'utilisateur
users-active = Peut se connecter
users-reset-password = Définir un nouveau mot de passe
users-reset-hint = L'utilisateur sera déconnecté partout et devra utiliser le nouveau mot de passe.

teams-parent = Fait partie de
teams-members = Membres
teams-new = Nouvelle équipe
teams-create = Créer l'équipe
teams-empty = Aucune équipe pour le moment. Les équipes permettent aux responsables des ventes de voir les enregistrements de leurs collaborateurs.
teams-delete-confirm = Supprimer cette équipe ?

tokens-prefix = Jeton
tokens-created-at = Créé le
tokens-last-used = Dernière utilisation
tokens-expires = Expire le
tokens-revoked = révoqué
tokens-revoke = Révoquer
tokens-revoke-confirm = Révoquer ce jeton ? Les scripts qui l'utilisent cesseront immédiatement de fonctionner.
tokens-empty = Aucun jeton d'API pour le moment.
tokens-new = Nouveau jeton d'API
tokens-create = Créer le jeton
tokens-name-placeholder = p. ex. Formulaire du site web
tokens-expires-days = Expire après (jours, vide = jamais)
tokens-created = Votre nouveau jeton d'API
tokens-created-text = Copiez-le maintenant : il ne sera affiché qu'une seule fois. Envoyez-le sous la forme "Authorization: Bearer <token>".

audit-entity = Type d'enregistrement
audit-all = Tous les enregistrements
audit-when = Quand
audit-who = Qui
audit-what = Quoi
audit-changes = Modifications

error-404-title = Page introuvable
error-404-text = Il n'y a rien ici, ou ce contenu ne vous est pas accessible.
error-403-title = Accès refusé
error-invalid-title = Requête invalide
error-500-title = Une erreur s'est produite
error-generic-title = Erreur
error-back-home = Retour à l'accueil

flash-signed-out = Vous avez été déconnecté.
flash-profile-saved = Profil enregistré.
flash-password-changed = Mot de passe modifié. Vos autres sessions ont été déconnectées.
flash-user-created = Utilisateur créé.
flash-user-saved = Utilisateur enregistré.
flash-password-reset = Nouveau mot de passe défini.
flash-team-created = Équipe créée.
flash-team-deleted = Équipe supprimée.
flash-token-revoked = Jeton révoqué.

# --- Base clients ---
action-edit = Modifier
action-find = Rechercher
action-remove = Retirer
action-restore = Restaurer
word-yes = Oui
word-no = Non

lifecycle-lead = Piste
lifecycle-prospect = Prospect
lifecycle-customer = Client
lifecycle-churned = Perdu
owner-nobody = Personne

phone-kind-mobile = Mobile
phone-kind-work = Professionnel
phone-kind-home = Domicile
phone-kind-fax = Fax
phone-kind-other = Autre
email-kind-work = Professionnel
email-kind-personal = Personnel
email-kind-other = Autre
phone-flag-missing-area-code = indicatif régional manquant
phone-flag-missing-country-code = indicatif du pays manquant
date-kind-birthday = Anniversaire
date-kind-anniversary = Date anniversaire
date-next = prochaine fois le { $date }

company-role-director = Directeur
company-role-chief_accountant = Chef comptable
company-role-lawyer = Juriste
company-role-secretary = Secrétaire
company-role-buyer = Acheteur
company-role-other = Autre (à saisir ci-dessous)
company-role-custom = Rôle, en vos termes

ff-name = Nom
ff-first_name = Prénom
ff-last_name = Nom de famille
ff-display_name = Nom affiché
ff-title = Fonction
ff-company_id = Entreprise
ff-company_role = Rôle dans l'entreprise
ff-birthday = Anniversaire
ff-legal_name = Raison sociale
ff-tax_number = Numéro fiscal
ff-industry = Secteur
ff-website = Site web
ff-lifecycle = Étape
ff-source = Source
ff-owner_id = Responsable
ff-tags = Étiquettes
ff-email = E-mail
ff-phone = Téléphone
ff-created_at = Créé le
ff-updated_at = Modifié le
ff-last_contacted_at = Dernier contact
ff-city = Ville
ff-region = Région
ff-country = Pays
ff-address = Adresse
ff-notes = Notes
ff-phones = Téléphones
ff-emails = E-mails
ff-important_dates = Dates importantes

op-eq = est
op-ne = n'est pas
op-contains = contient
op-starts_with = commence par
op-gt = après / supérieur à
op-gte = à partir de / au moins
op-lt = avant / inférieur à
op-lte = jusqu'à / au plus
op-in = est parmi (séparés par des virgules)
op-is_empty = est vide
op-is_not_empty = n'est pas vide
op-has = contient l'étiquette
op-lacks = ne contient pas
op-older_than_days = il y a plus de N jours
op-within_last_days = dans les N derniers jours
op-in_next_days = dans les N prochains jours

col-name = Nom
col-company = Entreprise
col-title = Fonction
col-phone = Téléphone
col-email = E-mail
col-lifecycle = Étape
col-owner = Responsable
col-tags = Étiquettes
col-city = Ville
col-source = Source
col-created = Créé le
col-updated = Modifié le
col-industry = Secteur
col-tax_number = Numéro fiscal
col-website = Site web

contact-new = Nouveau contact
contact-edit = Modifier le contact
company-new = Nouvelle entreprise
company-edit = Modifier l'entreprise

list-intro = Recherchez, filtrez et traitez plusieurs fiches à la fois.
list-search = Rechercher par nom, téléphone, e-mail…
list-clear = Effacer
list-trash = Corbeille
list-back-to-list = Retour à la liste
list-no-match = Aucune fiche ne correspond à ces filtres.
list-shown = { $count ->
    [one] { $count } fiche sur cette page
   *[other] { $count } fiches sur cette page
}
qf-any-stage = Toutes les étapes
qf-anyone = Tous les responsables
qf-me = Les miens
qf-tag = Étiquette

fb-title = Constructeur de filtre
fb-match = Correspondre à
fb-all = toutes les conditions (ET)
fb-any = au moins une condition (OU)
fb-field = Champ
fb-op = Condition
fb-value = Valeur
fb-choose-field = Choisissez un champ…
fb-add = Ajouter une condition
fb-apply = Appliquer le filtre
fb-hint = Dates au format 2026-01-31 ; « me » pour vous-même comme responsable ; listes séparées par des virgules.
fb-advanced = Ce filtre comporte des groupes imbriqués et est affiché en JSON :

cols-title = Colonnes
cols-apply = Afficher les colonnes

views-title = Vue enregistrée
views-none = Toutes les fiches
views-apply = Appliquer
views-shared = partagée
views-save-as = Enregistrer comme vue
views-name = Nom de la vue
views-share = Visible par tous
views-delete = Supprimer la vue
views-delete-confirm = Supprimer cette vue enregistrée ?

bulk-selected = Pour la sélection :
bulk-action = Action
bulk-add-tag = Ajouter une étiquette
bulk-remove-tag = Retirer une étiquette
bulk-assign-owner = Attribuer un responsable
bulk-lifecycle = Changer d'étape
bulk-delete = Supprimer
bulk-apply = Appliquer
bulk-select-all = Tout sélectionner sur cette page
bulk-result = { $ok } mises à jour, { $failed } échecs.

form-main = Informations principales
form-status = Responsable et statut
form-display-name-hint = Prénom et nom par défaut
form-no-company = Aucune entreprise
form-kind = Type
form-date = Date
form-yearly = Chaque année
form-once = Une seule fois
form-add-phone = Ajouter un téléphone
form-add-email = Ajouter un e-mail
form-add-date = Ajouter une date
form-currency = Devise
form-record-id = Identifiant de la fiche
form-tags-hint = Séparées par des virgules, p. ex. VIP, Paris
form-stale = Quelqu'un d'autre a modifié cette fiche entre-temps. Rechargez-la et refaites vos modifications.
form-reload = Recharger
inline-stale = Quelqu'un d'autre a modifié cette fiche entre-temps ; la valeur actuelle est affichée. Veuillez réessayer.

card-phones = Téléphones
card-emails = E-mails
card-address = Adresse
card-dates = Dates importantes
card-custom = Champs supplémentaires
card-details = Détails
card-companies = Entreprises
card-no-companies = Rattaché à aucune entreprise.
card-primary = principale
card-timeline = Historique
card-timeline-hidden = L'historique de cette fiche est visible par les administrateurs et les responsables commerciaux.
card-export = Exporter les données personnelles
card-erase = Effacer les données personnelles
card-erase-confirm = Effacer définitivement les données personnelles de cette personne ? Noms, téléphones, e-mails, notes et leur historique seront supprimés. Cette action est irréversible.
card-delete-confirm = Placer cette fiche dans la corbeille ?
card-deleted = Dans la corbeille

company-people = Interlocuteurs
company-no-people = Aucun interlocuteur pour le moment.
company-add-person = Ajouter un interlocuteur
company-find-person = Rechercher un contact par nom ou téléphone
company-role = Rôle
company-make-primary = C'est l'entreprise principale de cette personne
company-remove-confirm = Retirer cette personne de l'entreprise ? Le contact lui-même est conservé.
company-new-contact = Nouveau contact dans cette entreprise

dup-title = Doublons
dup-intro = Fiches partageant un numéro de téléphone, un e-mail ou un numéro fiscal. La fusion conserve les téléphones, e-mails, liens et l'historique des deux.
dup-shared = en commun
dup-merge = Fusionner
dup-none = Aucun doublon trouvé.
dup-exists-contact = Un contact avec ce téléphone ou cet e-mail existe déjà.
dup-exists-company = Une entreprise avec ce téléphone, cet e-mail ou ce numéro fiscal existe déjà.
dup-field = appartient déjà à une autre fiche
dup-open = L'ouvrir
dup-save-anyway = Enregistrer quand même

merge-title = Fusionner des fiches
merge-intro = Choisissez la fiche à conserver, puis pour chaque champ différent la valeur à garder. L'autre fiche est placée dans la corbeille et renvoie vers celle conservée.
merge-field = Champ
merge-keep = Conserver
merge-lists-hint = Les téléphones, e-mails, étiquettes et dates des deux fiches sont regroupés.
merge-submit = Fusionner

search-title = Recherche
search-label = Rechercher des contacts et des entreprises
search-placeholder = Rechercher des contacts et des entreprises…
search-nothing = Aucun résultat.
search-all = Tous les résultats

notifications-title = Notifications
notifications-none = Aucune notification.
notifications-new = nouveau
notifications-mark-read = Tout marquer comme lu

settings-fields = Champs personnalisés
settings-fields-text = Champs supplémentaires des contacts et des entreprises.
settings-field-edit = Modifier le champ personnalisé
fields-contact = Champs des contacts
fields-company = Champs des entreprises
fields-new = Nouveau champ
fields-entity = Pour
fields-label = Libellé
fields-key = Clé
fields-key-hint = Lettres minuscules, chiffres et _ ; non modifiable ensuite.
fields-type = Type
fields-options = Choix
fields-options-hint = Pour les listes : séparés par des virgules. Pour un lien : contact ou company.
fields-position = Position
fields-required = Obligatoire
fields-required-short = obligatoire
fields-create = Créer le champ
fields-empty = Aucun champ personnalisé pour le moment.
fields-delete-confirm = Supprimer ce champ ? Les valeurs déjà enregistrées ne seront plus affichées.
field-type-text = Texte
field-type-long_text = Texte long
field-type-number = Nombre
field-type-money = Montant
field-type-date = Date
field-type-datetime = Date et heure
field-type-select = Choix
field-type-multi_select = Choix multiple
field-type-boolean = Oui / non
field-type-url = Adresse web
field-type-phone = Téléphone
field-type-email = E-mail
field-type-user = Utilisateur
field-type-reference = Lien vers une fiche

flash-contact-created = Contact créé.
flash-contact-saved = Contact enregistré.
flash-contact-deleted = Contact placé dans la corbeille.
flash-company-created = Entreprise créée.
flash-company-saved = Entreprise enregistrée.
flash-company-deleted = Entreprise placée dans la corbeille.
flash-restored = Restauré depuis la corbeille.
flash-erased = Données personnelles effacées.
flash-saved = Enregistré.
flash-merged = Fiches fusionnées.
flash-view-saved = Vue enregistrée.
flash-view-deleted = Vue supprimée.
flash-person-added = Interlocuteur ajouté.
flash-person-removed = Interlocuteur retiré.
flash-notifications-read = Toutes les notifications sont marquées comme lues.
flash-field-created = Champ créé.
flash-field-saved = Champ enregistré.
flash-field-deleted = Champ supprimé.
addr-street = Rue
addr-city = Ville
addr-postal-code = Code postal
addr-region = Région
addr-country = Pays (deux lettres)
