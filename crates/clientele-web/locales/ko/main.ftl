# Clientele — 한국어

skip-to-content = 본문으로 건너뛰기
nav-label = 주 메뉴
nav-open = 메뉴
nav-home = 홈
nav-contacts = 연락처
nav-companies = 회사
nav-deals = 거래
nav-tasks = 작업
nav-inbox = 받은편지함
nav-reports = 보고서
nav-settings = 설정
user-menu = 계정 메뉴
sign-out = 로그아웃

role-admin = 관리자
role-head = 영업 책임자
role-manager = 영업 담당자
role-readonly = 읽기 전용

locale-en = English
locale-fr = Français
locale-ru = Русский
locale-bg = Български
locale-ko = 한국어

field-email = 이메일
field-password = 비밀번호
field-name = 이름
field-role = 역할
field-team = 팀
field-locale = 언어
field-time-zone = 시간대
field-current-password = 현재 비밀번호
field-new-password = 새 비밀번호
field-confirm-password = 새 비밀번호 확인

action-save = 저장
action-cancel = 취소
action-delete = 삭제
action-copy = 복사
action-filter = 필터

list-empty = 아직 항목이 없습니다.
list-next = 다음 페이지

login-title = 로그인
login-heading = Clientele에 로그인
login-subtitle = 고객, 거래, 대화를 한곳에서 관리합니다.
login-submit = 로그인
login-failed = 이메일 또는 비밀번호가 올바르지 않습니다.
login-missing = 이메일과 비밀번호를 입력하십시오.
login-expired = 로그인 양식이 만료되었습니다. 다시 시도하십시오.
login-rate-limited = 로그인 실패 횟수가 너무 많습니다. { $minutes }분 후에 다시 시도하십시오.

home-welcome = { $name }님, 환영합니다
home-subtitle = 작업 공간 현황을 한눈에 확인하십시오.
home-you = 내 정보
home-no-team = 팀 없음
home-workspace = 작업 공간
home-users = 사용자
home-database = 데이터베이스
home-version = 버전
home-api = API
home-api-text = Clientele의 모든 기능은 JSON API로도 사용할 수 있으며, 스크립트와 연동에는 API 토큰을 사용합니다.
home-api-docs = API 참조

section-contacts-empty = 영업 대상 고객이 전화번호, 이메일, 담당자, 이력과 함께 여기에 표시됩니다.
section-companies-empty = 조직과 해당 연락 담당자가 여기에 표시됩니다.
section-deals-empty = 파이프라인과 거래가 여기에 보드와 목록 형태로 표시됩니다.
section-tasks-empty = 본인과 팀의 통화, 회의, 할 일이 여기에 표시됩니다.
section-inbox-empty = 이메일, 양식, 메신저, 전화로 들어온 문의가 여기로 들어옵니다.
section-reports-empty = 퍼널, 영업, 활동 보고서가 여기에 표시됩니다.

settings-profile = 프로필
settings-profile-text = 이름, 언어, 시간대 및 비밀번호를 관리합니다.
settings-tokens = API 토큰
settings-tokens-text = 본인 권한으로 동작하는 스크립트 및 연동용 키를 관리합니다.
settings-users = 사용자
settings-users-text = 로그인할 수 있는 사용자와 그 역할을 관리합니다.
settings-teams = 팀
settings-teams-text = 팀과 부서를 관리합니다. 영업 책임자는 자기 팀의 레코드를 볼 수 있습니다.
settings-audit = 감사 로그
settings-audit-text = 누가 언제 무엇을 변경했는지 확인합니다.
settings-edit-user = 사용자 편집

profile-locale-auto = 브라우저 언어

password-heading = 비밀번호 변경
password-submit = 비밀번호 변경
password-hint = 10자 이상이어야 합니다. 다른 세션은 모두 로그아웃됩니다.
password-mismatch = 두 새 비밀번호가 일치하지 않습니다.

users-search = 사용자 검색
users-last-login = 마지막 로그인
users-inactive = 비활성화됨
users-new = 새 사용자
users-create = 사용자 만들기
users-active = 로그인 허용
users-reset-password = 새 비밀번호 설정
users-reset-hint = 해당 사용자는 모든 기기에서 로그아웃되며 새 비밀번호를 사용해야 합니다.

teams-parent = 상위 팀
teams-members = 구성원
teams-new = 새 팀
teams-create = 팀 만들기
teams-empty = 아직 팀이 없습니다. 팀을 만들면 영업 책임자가 팀원의 레코드를 볼 수 있습니다.
teams-delete-confirm = 이 팀을 삭제하시겠습니까?

tokens-prefix = 토큰
tokens-created-at = 생성일
tokens-last-used = 마지막 사용
tokens-expires = 만료일
tokens-revoked = 폐기됨
tokens-revoke = 폐기
tokens-revoke-confirm = 이 토큰을 폐기하시겠습니까? 이 토큰을 사용하는 스크립트는 즉시 작동을 멈춥니다.
tokens-empty = 아직 API 토큰이 없습니다.
tokens-new = 새 API 토큰
tokens-create = 토큰 만들기
tokens-name-placeholder = 예: 웹사이트 양식
tokens-expires-days = 만료 기간 (일, 비워 두면 무기한)
tokens-created = 새 API 토큰
tokens-created-text = 지금 복사하십시오. 이 토큰은 한 번만 표시됩니다. "Authorization: Bearer <token>" 형식으로 전송하십시오.

audit-entity = 레코드 유형
audit-all = 모든 레코드
audit-when = 일시
audit-who = 사용자
audit-what = 대상
audit-changes = 변경 내용

error-404-title = 페이지를 찾을 수 없습니다
error-404-text = 이 페이지가 존재하지 않거나 볼 수 있는 권한이 없습니다.
error-403-title = 접근 권한 없음
error-invalid-title = 잘못된 요청
error-500-title = 문제가 발생했습니다
error-generic-title = 오류
error-back-home = 홈으로 돌아가기

flash-signed-out = 로그아웃되었습니다.
flash-profile-saved = 프로필이 저장되었습니다.
flash-password-changed = 비밀번호가 변경되었습니다. 다른 세션은 로그아웃되었습니다.
flash-user-created = 사용자가 생성되었습니다.
flash-user-saved = 사용자가 저장되었습니다.
flash-password-reset = 새 비밀번호가 설정되었습니다.
flash-team-created = 팀이 생성되었습니다.
flash-team-deleted = 팀이 삭제되었습니다.
flash-token-revoked = 토큰이 폐기되었습니다.
