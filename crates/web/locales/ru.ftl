# Веб-интерфейс Concord — русский язык.

## Каркас
skip-to-content = Перейти к содержимому
nav-label = Основная навигация
nav-dashboard = Сводка
nav-browse = Просмотр и поиск
nav-import = Импорт
nav-matching = Фиды и сопоставление
nav-admin = Администрирование
language-label = Язык
signout = Выйти
footer-text = Concord — обмен информацией об угрозах между CERT; каждый узел сохраняет суверенитет над своими данными.
back-to-dashboard = Вернуться к сводке
yes = да
no = нет

## Даты (UTC) и числа
month-1 = янв.
month-2 = февр.
month-3 = мар.
month-4 = апр.
month-5 = мая
month-6 = июн.
month-7 = июл.
month-8 = авг.
month-9 = сент.
month-10 = окт.
month-11 = нояб.
month-12 = дек.
date-format = { $day } { $month } { $year } г.
datetime-format = { $day } { $month } { $year } г., { $time } UTC
objects-count =
    { $count ->
        [one] { $count } объект
        [few] { $count } объекта
        [many] { $count } объектов
       *[other] { $count } объекта
    }

## Ошибки
error-title = Что-то пошло не так
error-not-found = Такой страницы нет.
error-no-object = Этого объекта нет на узле, или ваш допуск его не покрывает.
error-forbidden = Ваша роль не позволяет это сделать.
error-csrf = Срок действия формы истёк, или она отправлена не с этого сайта. Попробуйте ещё раз.
error-internal = Произошла внутренняя ошибка (номер { $id }). Оператор найдёт её в журнале узла.

## Вход
signin-title = Вход
signin-username = Имя пользователя
signin-password = Пароль
signin-submit = Войти
signin-failed = Неверное имя пользователя или пароль.
signin-locked = Слишком много неудачных попыток для этого имени пользователя. Повторите через 15 минут.
signin-locked-address = Слишком много неудачных попыток входа с этого адреса. Повторите через 15 минут.

## Сводка
dashboard-title = Сводка
dashboard-total =
    { $count ->
        [one] Вам доступен { $count } объект на этом узле.
        [few] Вам доступны { $count } объекта на этом узле.
        [many] Вам доступны { $count } объектов на этом узле.
       *[other] Вам доступны { $count } объекта на этом узле.
    }
dashboard-by-type = Объекты по типам
dashboard-by-tlp = Объекты по уровням TLP
dashboard-over-time =
    { $days ->
        [one] Объекты, добавленные за последний { $days } день, по источникам
        [few] Объекты, добавленные за последние { $days } дня, по источникам
        [many] Объекты, добавленные за последние { $days } дней, по источникам
       *[other] Объекты, добавленные за последние { $days } дней, по источникам
    }
dashboard-other-types = Другие типы
dashboard-other-sources = Другой источник или без источника
dashboard-empty = Объектов пока нет.
dashboard-sightings = Недавние обнаружения
dashboard-incidents = Недавние инциденты
dashboard-no-sightings = Обнаружений пока нет.
dashboard-health = Партнёры, фиды и инциденты
dashboard-peers-none = Партнёрские узлы не подключены: федерация на этом узле ещё не настроена.
dashboard-feeds-none = На этом узле не настроено ни одного фида.
dashboard-recent = Недавно добавленные
chart-table = Показать числа
chart-day = День

## Просмотр и поиск
browse-title = Просмотр и поиск
browse-search = Текст для поиска (на любом языке)
browse-type = Тип
browse-tlp = Уровень TLP
browse-label = Метка
browse-source = Источник (идентификатор identity)
browse-from = Добавлено с
browse-to = Добавлено по
browse-any = Любой
browse-submit = Найти
browse-empty = Ни один объект не подходит под эти фильтры.
browse-shown =
    { $count ->
        [one] { $count } объект на этой странице.
        [few] { $count } объекта на этой странице.
        [many] { $count } объектов на этой странице.
       *[other] { $count } объекта на этой странице.
    }
browse-bad-text = Слишком длинный текст для поиска (не более 500 символов).
browse-bad-type = Это не имя типа STIX.
browse-bad-tlp = Неизвестный уровень TLP.
browse-bad-source = Источник должен быть идентификатором STIX, например identity--…
browse-bad-date = Даты записываются в виде ГГГГ-ММ-ДД.
browse-bad-cursor = Ссылка на страницу недействительна; начните с первой страницы.
pager-label = Страницы
pager-first = Первая страница
pager-next = Следующая страница

## Столбцы
col-name = Название
col-type = Тип
col-tlp = TLP
col-modified = Изменён
col-added = Добавлен
col-created = Создан
col-direction = Направление
col-relationship = Связь
col-object = Объект
col-kind = Вид
col-value = Общее значение
col-status = Статус
col-details = Подробности
col-actions = Действия
col-indicator = Индикатор
col-count = Количество
col-first-seen = Впервые замечен
col-last-seen = Последний раз замечен
col-sighting = Обнаружение

## Страница объекта
object-fields = Свойства
object-markings = Маркировки
object-no-markings = Маркировок нет (считается TLP:CLEAR).
object-relationships =
    { $count ->
        [one] { $count } связь
        [few] { $count } связи
        [many] { $count } связей
       *[other] { $count } связи
    }
object-correlations =
    { $count ->
        [one] { $count } корреляция
        [few] { $count } корреляции
        [many] { $count } корреляций
       *[other] { $count } корреляции
    }
object-not-held = отсутствует на этом узле
object-open-graph = Граф связанных объектов
object-json = Показать STIX JSON
direction-outgoing = ссылается на
direction-incoming = на него ссылается
field-name = Название
field-description = Описание
field-type = Тип
field-id = Идентификатор
field-created = Создан
field-modified = Изменён
field-created-by = Автор
field-labels = Метки
field-confidence = Достоверность
field-pattern = Шаблон
field-valid-from = Действует с
field-valid-until = Действует до
field-aliases = Другие названия
field-first-seen = Впервые замечен
field-last-seen = Последний раз замечен
field-relationship-type = Тип связи
field-source = Источник
field-target = Цель
field-value = Значение
field-external-references = Внешние ссылки
field-kill-chain-phases = Этапы цепочки атаки
field-revoked = Отозван
versions-heading =
    { $count ->
        [one] { $count } версия
        [few] { $count } версии
        [many] { $count } версий
       *[other] { $count } версии
    }
versions-current = текущая
versions-compare-a = Сравнить с версии
versions-compare-b = Сравнить с версией
versions-compare = Показать различия
diff-caption =
    { $count ->
        [one] Различается { $count } свойство
        [few] Различаются { $count } свойства
        [many] Различаются { $count } свойств
       *[other] Различаются { $count } свойства
    }
diff-property = Свойство
diff-version = Версия от { $version }
diff-changed = изменено
diff-added = добавлено
diff-removed = удалено
diff-same =
    { $count ->
        [one] Ещё { $count } свойство совпадает.
        [few] Ещё { $count } свойства совпадают.
        [many] Ещё { $count } свойств совпадают.
       *[other] Ещё { $count } свойства совпадают.
    }

## Граф
graph-title = Граф: { $name }
graph-svg-title = Объекты, связанные с { $name }
graph-back = Вернуться к объекту
graph-empty = Нет доступных вам связанных или коррелирующих объектов.
graph-legend = Сплошные линии: связи и ссылки. Пунктирные линии: общее наблюдаемое значение.
graph-nodes =
    { $count ->
        [one] { $count } объект в графе
        [few] { $count } объекта в графе
        [many] { $count } объектов в графе
       *[other] { $count } объекта в графе
    }

## Импорт
import-title = Импорт
import-file = STIX 2.1, MISP JSON, CSAF 2.0, список значений (по одному в строке) или CSV-файл
import-help = Формат определяется по содержимому. Каждый объект проверяется на соответствие STIX 2.1; корректные сохраняются, а каждый отклонённый показан с нарушенным свойством и правилом.
import-submit = Импортировать
import-no-file = Сначала выберите файл.
import-not-stix = Этот файл не является документом STIX: { $reason }
upload-failed = Не удалось загрузить файл: { $reason }
import-summary = Новых: { $new }. Новых версий: { $versions }. Без изменений: { $unchanged }. Конфликтов: { $conflicts }. Отклонено: { $rejected }.
import-results = Результат по каждому объекту
import-accepted = принят
import-rejected = отклонён
import-more-results =
    { $count ->
        [one] и ещё { $count } объект.
        [few] и ещё { $count } объекта.
        [many] и ещё { $count } объектов.
       *[other] и ещё { $count } объекта.
    }
import-another = Импортировать другой файл
outcome-new = новый
outcome-new-version = новая версия
outcome-unchanged = уже есть
outcome-conflict = конфликт: эта версия хранится с другим содержимым

## Фиды и сопоставление
matching-title = Фиды и сопоставление
matching-file = Файл журнала
matching-format = Формат
matching-submit = Сопоставить с индикаторами
matching-bad-format = Неизвестный формат журнала.
matching-not-ready = Индекс индикаторов ещё строится. Повторите попытку чуть позже.
matching-summary = Прочитано строк: { $lines }. Наблюдений: { $observations }. Некорректных строк: { $malformed }. Записано обнаружений: { $sightings }.
matching-none = Ни один доступный вам индикатор не совпал с этим журналом.
matching-sightings = Обнаружения
matching-errors = Некорректные строки
matching-line = Строка { $line }
matching-another = Сопоставить другой журнал
feeds-heading = Фиды
format-eve = Suricata EVE (строки JSON)
format-zeek = Zeek (строки JSON)
format-ecs = Elastic Common Schema (строки JSON)
format-csv = CSV
format-lines = Одно значение в строке
format-stix = STIX observed-data

## Учётная запись
account-title = Моя учётная запись
account-profile = Профиль
account-name = Имя пользователя
account-role = Роль
account-clearance = Допуск TLP
account-tokens = Мои API-токены
account-no-tokens = API-токенов нет.
account-new-token = Новый API-токен
account-token-name = Назначение токена
account-create-token = Создать токен
account-token-created = Токен создан.
account-token-once = Скопируйте секрет сейчас: он показывается только один раз.
account-token-invalid = Укажите название токена (не более 200 символов) и роль не выше вашей.
account-revoke = Отозвать
account-password = Смена пароля
account-current-password = Текущий пароль
account-new-password = Новый пароль
account-confirm-password = Новый пароль ещё раз
account-change-password = Сменить пароль
password-mismatch = Новые пароли не совпадают.
password-too-short = Пароль должен содержать не менее 10 символов.
password-too-long = Пароль должен содержать не более 1024 символов.
password-wrong = Текущий пароль неверен.
role-reader = читатель
role-analyst = аналитик
role-admin = администратор

## Администрирование
admin-title = Администрирование
admin-users =
    { $count ->
        [one] { $count } пользователь
        [few] { $count } пользователя
        [many] { $count } пользователей
       *[other] { $count } пользователя
    }
admin-disabled = Отключён
admin-save = Сохранить
admin-new-user = Новый пользователь
admin-create-user = Создать пользователя
admin-bad-name = Имя пользователя — от 1 до 64 символов, без пробелов.
admin-bad-user = Выберите допустимую роль и допуск TLP.
admin-name-taken = Имя пользователя { $name } уже занято.
admin-user-created = Пользователь { $name } создан.
admin-user-saved = Изменения сохранены.
admin-self = Нельзя понизить собственную роль или отключить самого себя.
admin-tokens = Все API-токены
admin-owner = Владелец
admin-no-owner = нет (создан командой)
admin-collections = Коллекции TAXII
admin-collections-root = Корень API: { $root }
admin-collection-filter = Содержимое
admin-collection-all = все объекты
admin-collection-read = Чтение
admin-collection-write = Запись

## Партнёры и аудит
nav-peers = Партнёры и аудит
peers-title = Партнёрские узлы и журнал аудита
peers-heading =
    { $count ->
        [one] { $count } партнёрский узел
        [few] { $count } партнёрских узла
        [many] { $count } партнёрских узлов
       *[other] { $count } партнёрского узла
    }
peers-never = никогда
col-url = Адрес
col-agreement = Соглашение
col-last-sync = Последняя загрузка
col-lag = Отставание (изменений)
col-received = Получено объектов
col-last-error = Последняя ошибка
audit-heading = Журнал аудита исходящих решений
audit-verify = Проверить всю цепочку
audit-empty = Исходящих решений пока не записано.
audit-intact =
    { $count ->
        [one] Цепочка аудита не нарушена (проверена { $count } запись).
        [few] Цепочка аудита не нарушена (проверены { $count } записи).
        [many] Цепочка аудита не нарушена (проверено { $count } записей).
       *[other] Цепочка аудита не нарушена (проверено { $count } записи).
    }
audit-broken = Цепочка аудита нарушена на записи { $n }: запись изменена или удалена.
col-at = Время
col-peer = Партнёр
col-verdict = Решение
col-hash = Хеш
verdict-send = отправлено
verdict-send-redacted = отправлено с изъятиями
verdict-withhold = не отправлено
dashboard-peers =
    { $count ->
        [one] Подключён { $count } партнёрский узел.
        [few] Подключены { $count } партнёрских узла.
        [many] Подключено { $count } партнёрских узлов.
       *[other] Подключено { $count } партнёрского узла.
    }
dashboard-peers-failing =
    { $count ->
        [one] У { $count } узла последняя загрузка не удалась.
        [few] У { $count } узлов последняя загрузка не удалась.
        [many] У { $count } узлов последняя загрузка не удалась.
       *[other] У { $count } узла последняя загрузка не удалась.
    }
object-provenance = Происхождение
provenance-local = Создан на этом узле или импортирован сюда (не получен от партнёра).
provenance-origin = Исходный узел
provenance-received-from = Получен от
provenance-hops = Осталось разрешённых пересылок
provenance-redacted-by = Изъятия сделал
provenance-signer-revoked = Ключ подписи отозван
provenance-revoked-origin = Ключ источника отозван сообществом { $community } с { $since }; эта версия подписана раньше и сохранена.
provenance-revoked-redactor = Ключ узла, сделавшего изъятия, отозван сообществом { $community } с { $since }; эта версия подписана раньше и сохранена.

## Инциденты
nav-incidents = Инциденты
incidents-title = Инциденты
incidents-empty = На этом узле нет доступных вам инцидентов.
incident-status = Статус расследования
incident-determination = Заключение
incident-severity = Серьёзность
incident-origin = Кем открыт
incident-local = этот узел
incident-alert = оповещение
incident-object = Инцидент как объект STIX
incident-state = Состояние
versions-heading-plain = Версии
incident-acks = Подтверждения оповещения (раунд { $round })
incident-overdue = просрочено
incident-timeline = Хронология
incident-timeline-empty = По этому инциденту пока ничего не происходило.
incident-said-by = Автор
kind-incident = инцидент
kind-ack = подтверждение
kind-request = запрос о помощи
kind-request-response = ответ на запрос
kind-custody = цепочка хранения
kind-constituency-notification = уведомление обслуживаемой организации

## Пояснение исходящей политики
object-open-policy = Что получит каждый партнёр
policy-title = Что получит каждый партнёр: { $name }
policy-title-plain = Что получит каждый партнёр
policy-no-federation = Этот узел не участвует в федерации: из него ничего не передаётся.
policy-changed = Свойства, изменённые или удалённые в отправляемой копии:
policy-rule = Правило
policy-effect = Действие
policy-why = Почему (пояснение политики)
effect-allow = разрешает
effect-deny = запрещает передачу
effect-redact = изымает данные
effect-detect = определяет категорию
import-read-as = Прочитано как: { $format }
import-problems =
    { $count ->
        [one] Не удалось преобразовать { $count } запись
        [few] Не удалось преобразовать { $count } записи
        [many] Не удалось преобразовать { $count } записей
       *[other] Не удалось преобразовать { $count } записи
    }
import-format-stix = STIX 2.1
import-format-misp = MISP JSON
import-format-csaf = бюллетень CSAF 2.0
import-format-lines = по одному значению в строке
# Feeds (the CLI's [[feeds]] and feeds-state.json)
feeds-unreadable = Не удалось прочитать файл источников: { $reason }
feeds-not-configured = (больше нет в concord.toml)
feeds-never-run = Ещё не запускался.
feeds-ok = нет
feeds-errors =
    { $count ->
        [one] { $count } ошибка
        [few] { $count } ошибки
        [many] { $count } ошибок
       *[other] { $count } ошибки
    }
feeds-more-errors =
    { $count ->
        [one] и ещё { $count } ошибка.
        [few] и ещё { $count } ошибки.
        [many] и ещё { $count } ошибок.
       *[other] и ещё { $count } ошибки.
    }
col-last-run = Последний запуск
col-new = Новые
col-new-versions = Новые версии
col-unchanged = Без изменений
col-expired = Истёкшие
col-rejected = Отклонённые или не преобразованные
col-errors = Ошибки
# Import jobs
import-uploading = Файл загружается
import-recent = Ваши последние импорты
import-running = выполняется
import-failed = не удался
import-busy = У вас уже выполняются импорты. Дождитесь завершения одного из них.
import-full = Сервер занят другими импортами. Повторите попытку чуть позже.
import-job-unknown = Такого импорта нет. Импорты хранятся один час и доступны только запустившему их пользователю.
import-file-name = Файл:
import-bytes = Размер в байтах: { $count }
import-reading = Файл читается и преобразуется
import-progress = Сохранено объектов: { $done }
# Live notifications
nav-notifications = Уведомления
live-label = Уведомления в реальном времени
live-new = Новый объект { $type }: { $name }
notifications-title = Уведомления
notifications-no-subscription = Ни одна веб-подписка не включает вас. Администратор может добавить её в response.toml: [[subscription]] с web = true или web = ["ваше имя пользователя"].
notifications-none = С момента запуска сервера уведомлений не было.
notifications-recent = Последние уведомления
col-subscription = Подписка
feeds-line = последний запуск { $date }: новых { $new }, новых версий { $versions }, отклонено или не преобразовано { $rejected }.
import-layout = Структура списка или CSV-файла
import-layout-auto = Определить по содержимому
import-bad-layout = Известной структуры с именем «{ $name }» нет. Выберите её из списка.
import-format-csv = список или CSV-файл с выбранной структурой

## Сообщество (задача 24)
nav-community = Сообщество
community-title = Сообщество { $name }
community-title-plain = Сообщество
community-proposals-title = Предложения сообщества { $name }
community-log-title = История сообщества { $name }
community-not-found = Этот узел не состоит в сообществе с таким именем.
community-none = Этот узел не состоит ни в одном сообществе. Сообщество основывают командой `concord community create`, а вступают в него, подав заявку одному из участников.
community-choose = Этот узел состоит в нескольких сообществах. Выберите одно:
community-pages = Страницы сообщества
community-overview = Участники и устав
community-proposals = Предложения
community-history = История
community-kind-admit = Принять участника
community-kind-suspend = Приостановить участника
community-kind-readmit = Восстановить участника
community-kind-expel = Исключить участника
community-kind-revoke-key = Отозвать ключ
community-kind-change-charter = Изменить устав
community-kind-define = Принять определение
community-status-active = активен
community-status-suspended = приостановлен
community-status-expelled = исключён
community-threshold-count =
    { $count ->
        [one] { $count } участник
        [few] { $count } участника
        [many] { $count } участников
       *[other] { $count } участника
    }
community-threshold-fraction = { $fraction } участников с правом голоса
community-days =
    { $count ->
        [one] { $count } день
        [few] { $count } дня
        [many] { $count } дней
       *[other] { $count } дня
    }
community-hours =
    { $count ->
        [one] { $count } час
        [few] { $count } часа
        [many] { $count } часов
       *[other] { $count } часа
    }
community-minutes =
    { $count ->
        [one] { $count } минута
        [few] { $count } минуты
        [many] { $count } минут
       *[other] { $count } минуты
    }
community-founded = Основано { $date }
community-entries-counted =
    { $count ->
        [one] { $count } запись журнала учтена
        [few] { $count } записи журнала учтены
        [many] { $count } записей журнала учтено
       *[other] { $count } записи журнала учтено
    }
community-entries-refused =
    { $count ->
        [one] { $count } отклонена
        [few] { $count } отклонены
        [many] { $count } отклонено
       *[other] { $count } отклонено
    }
community-charter = Устав
community-col-decision = Решение
community-col-threshold = Порог
community-col-needed-now =
    { $count ->
        [one] Нужно голосов «за» при { $count } активном участнике
        [few] Нужно голосов «за» при { $count } активных участниках
        [many] Нужно голосов «за» при { $count } активных участниках
       *[other] Нужно голосов «за» при { $count } активного участника
    }
community-col-period = Срок голосования
community-col-sponsors = Поручители
community-members =
    { $count ->
        [one] { $count } участник
        [few] { $count } участника
        [many] { $count } участников
       *[other] { $count } участника
    }
community-col-organisation = Организация
community-col-country = Страна
community-col-sectors = Отрасли
community-col-since = Участник с
community-col-fingerprint = Отпечаток ключа
community-col-refused-here = Отклонён этим узлом
community-refused = Отклонён
community-refusals = Отклонены этим узлом
community-refusals-none = Этот узел не отклоняет ни одного участника этого сообщества.
community-refusals-about = Этот узел не обменивается данными с этими участниками, что бы ни решило сообщество (`concord community refuse`).
community-equivocations = Противоречивые голоса
community-equivocations-about = Эти участники подписали две противоречащие друг другу записи; учитывается первая, вторая отклонена.
community-definitions = Определения сообщества
community-definitions-none = Ни одно определение пока не принято.
community-state-open = открыто
community-state-expired = истекло без решения
community-state-passed = принято
community-state-failed = отклонено
community-state-superseded = заменено предложением
community-yes = за
community-no = против
community-proposed-by = Предложил { $member }
community-yes-votes = Голоса «за»
community-no-votes = Голоса «против»
community-needed = Нужно
community-needed-of =
    { $count ->
        [one] { $needed } голосов «за» из { $count } участника с правом голоса
        [few] { $needed } голосов «за» из { $count } участников с правом голоса
        [many] { $needed } голосов «за» из { $count } участников с правом голоса
       *[other] { $needed } голосов «за» из { $count } участника с правом голоса
    }
community-time-left = Осталось времени
community-votes-cast = Поданные голоса
community-col-member = Участник
community-col-vote = Голос
community-vote-yes = Голосовать «за»
community-vote-no = Голосовать «против»
community-voted-already = Этот узел проголосовал: { $choice }.
community-cannot-vote = Этот узел не имеет права голоса по этому предложению.
community-propose = Предложить решение
community-propose-about = Предложение подписывается ключом этого узла и считается его голосом «за». Заполните поля, нужные решению: участника — для приостановки, восстановления и исключения; участника и его ключ — для отзыва ключа; имя и значение JSON — для определения; весь устав (JSON) — для его изменения. Приём новых участников предлагают командой `concord community propose admit`, которая проверяет подписанную заявку кандидата.
community-field-member = Участник
community-field-key = Отзываемый ключ (hex)
community-field-replacement = Новый ключ взамен (hex, необязательно)
community-field-application = Заявка кандидата (JSON от concord community apply)
community-field-sponsors = Другие поручители (идентификаторы узлов через запятую)
community-field-name = Имя определения
community-field-value = Значение определения (JSON)
community-field-charter = Новый устав (JSON)
community-field-note = Причина (в двух словах)
community-propose-submit = Подписать и предложить
community-open =
    { $count ->
        [one] { $count } открытое предложение
        [few] { $count } открытых предложения
        [many] { $count } открытых предложений
       *[other] { $count } открытого предложения
    }
community-open-none = Открытых предложений нет.
community-not-member = Этот узел не является активным участником сообщества и не может ни предлагать, ни голосовать.
community-decided = Решённые и истёкшие предложения
community-decided-none = Ни одно предложение пока не решено.
community-col-tally = «За» / нужно
community-no-key = Этот узел не участвует в федерации, поэтому у него нет ключа для подписи.
community-not-counted = Запись не была бы учтена, поэтому она не сохранена: { $reason }
community-bad-choice = Голос — «за» или «против».
community-no-proposal = Такого предложения нет.
community-voted = Голос подписан и сохранён; остальные участники получат его при следующей синхронизации.
community-proposed = Предложение подписано и сохранено; остальные участники получат его при следующей синхронизации.
community-need-member = Выберите участника, которого касается решение.
community-need-key = Укажите отзываемый ключ.
community-need-application = Вставьте заявку кандидата.
community-bad-application = Заявка недействительна: { $detail }
community-need-name = Укажите имя определения.
community-bad-json = Значение не является JSON: { $detail }
community-bad-charter = Устав неприемлем: { $detail }
community-bad-action = Выберите вид решения.
community-entry-proposal = Предложение: { $kind }
community-entry-vote-yes = Голос «за» по предложению
community-entry-vote-no = Голос «против» по предложению
community-entry-rotate = Смена ключа, вступает в силу { $date }
community-log-total =
    { $count ->
        [one] { $count } запись в журнале
        [few] { $count } записи в журнале
        [many] { $count } записей в журнале
       *[other] { $count } записи в журнале
    }
community-log-empty = На этой странице журнала нет записей.
community-col-author = Автор
community-col-counted = Учтена
community-counted = учтена
community-not-counted-short = отклонена
live-governance = { $event }: { $name }
live-governance-proposed = Новое предложение
live-governance-member-admitted = Участник принят
live-governance-member-suspended = Участник приостановлен
live-governance-member-readmitted = Участник восстановлен
live-governance-member-expelled = Участник исключён
live-governance-key-revoked = Ключ отозван
live-governance-charter-changed = Устав изменён
live-governance-definition-adopted = Определение принято
live-governance-failed = Предложение отклонено
live-governance-expired = Срок предложения истёк
live-governance-superseded = Предложение заменено
