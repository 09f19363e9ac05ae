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
