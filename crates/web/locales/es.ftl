# Interfaz web de Concord — español.

## Marco
skip-to-content = Ir al contenido
nav-label = Navegación principal
nav-dashboard = Panel
nav-browse = Explorar y buscar
nav-import = Importar
nav-matching = Fuentes y coincidencias
nav-admin = Administración
language-label = Idioma
signout = Cerrar sesión
footer-text = Concord: intercambio de información sobre amenazas entre CERT, cada nodo soberano sobre sus datos.
back-to-dashboard = Volver al panel
yes = sí
no = no

## Fechas (UTC) y números
month-1 = ene
month-2 = feb
month-3 = mar
month-4 = abr
month-5 = may
month-6 = jun
month-7 = jul
month-8 = ago
month-9 = sept
month-10 = oct
month-11 = nov
month-12 = dic
date-format = { $day } { $month } { $year }
datetime-format = { $day } { $month } { $year }, { $time } UTC
objects-count =
    { $count ->
        [one] { $count } objeto
        [many] { $count } de objetos
       *[other] { $count } objetos
    }

## Errores
error-title = Se ha producido un error
error-not-found = Esta página no existe.
error-no-object = Este objeto no existe en este nodo, o su habilitación no lo cubre.
error-forbidden = Su rol no permite esta acción.
error-csrf = El formulario había caducado o no procedía de este sitio. Inténtelo de nuevo.
error-internal = Se ha producido un error interno (referencia { $id }). El operador puede encontrarlo en el registro del nodo.

## Inicio de sesión
signin-title = Iniciar sesión
signin-username = Nombre de usuario
signin-password = Contraseña
signin-submit = Iniciar sesión
signin-failed = Nombre de usuario o contraseña incorrectos.
signin-locked = Demasiados intentos fallidos con este nombre de usuario. Vuelva a intentarlo dentro de 15 minutos.
signin-locked-address = Demasiados intentos fallidos de inicio de sesión desde esta dirección. Vuelva a intentarlo dentro de 15 minutos.

## Panel
dashboard-title = Panel
dashboard-total =
    { $count ->
        [one] Puede ver { $count } objeto en este nodo.
        [many] Puede ver { $count } de objetos en este nodo.
       *[other] Puede ver { $count } objetos en este nodo.
    }
dashboard-by-type = Objetos por tipo
dashboard-by-tlp = Objetos por nivel TLP
dashboard-over-time =
    { $days ->
        [one] Objetos añadidos el último día, por fuente
       *[other] Objetos añadidos en los últimos { $days } días, por fuente
    }
dashboard-other-types = Otros tipos
dashboard-other-sources = Otra fuente o ninguna
dashboard-empty = Todavía no hay objetos.
dashboard-sightings = Avistamientos recientes
dashboard-incidents = Incidentes recientes
dashboard-no-sightings = Todavía no hay avistamientos.
dashboard-health = Pares, fuentes e incidentes
dashboard-peers-none = No hay pares conectados: la federación aún no está configurada en este nodo.
dashboard-feeds-none = No hay fuentes configuradas en este nodo.
dashboard-recent = Añadidos recientemente
chart-table = Mostrar las cifras
chart-day = Día

## Explorar y buscar
browse-title = Explorar y buscar
browse-search = Texto de búsqueda (cualquier idioma)
browse-type = Tipo
browse-tlp = Nivel TLP
browse-label = Etiqueta
browse-source = Fuente (identificador de identidad)
browse-from = Añadido desde
browse-to = Añadido hasta
browse-any = Cualquiera
browse-submit = Buscar
browse-empty = Ningún objeto coincide con estos filtros.
browse-shown =
    { $count ->
        [one] { $count } objeto en esta página.
       *[other] { $count } objetos en esta página.
    }
browse-bad-text = El texto de búsqueda es demasiado largo (500 caracteres como máximo).
browse-bad-type = El tipo no es un nombre de tipo STIX.
browse-bad-tlp = Nivel TLP desconocido.
browse-bad-source = La fuente debe ser un identificador STIX, por ejemplo identity--…
browse-bad-date = Las fechas se escriben AAAA-MM-DD.
browse-bad-cursor = Este enlace de página no es válido; vuelva a empezar por la primera página.
pager-label = Páginas
pager-first = Primera página
pager-next = Página siguiente

## Columnas
col-name = Nombre
col-type = Tipo
col-tlp = TLP
col-modified = Modificado
col-added = Añadido
col-created = Creado
col-direction = Sentido
col-relationship = Relación
col-object = Objeto
col-kind = Clase
col-value = Valor compartido
col-status = Estado
col-details = Detalles
col-actions = Acciones
col-indicator = Indicador
col-count = Cantidad
col-first-seen = Visto por primera vez
col-last-seen = Visto por última vez
col-sighting = Avistamiento

## Página de un objeto
object-fields = Propiedades
object-markings = Marcados
object-no-markings = Sin marcados (se trata como TLP:CLEAR).
object-relationships =
    { $count ->
        [one] { $count } relación
       *[other] { $count } relaciones
    }
object-correlations =
    { $count ->
        [one] { $count } correlación
       *[other] { $count } correlaciones
    }
object-not-held = no está en este nodo
object-open-graph = Grafo de objetos relacionados
object-json = Mostrar el JSON STIX
direction-outgoing = hace referencia a
direction-incoming = referenciado por
field-name = Nombre
field-description = Descripción
field-type = Tipo
field-id = Identificador
field-created = Creado
field-modified = Modificado
field-created-by = Creado por
field-labels = Etiquetas
field-confidence = Confianza
field-pattern = Patrón
field-valid-from = Válido desde
field-valid-until = Válido hasta
field-aliases = Alias
field-first-seen = Visto por primera vez
field-last-seen = Visto por última vez
field-relationship-type = Tipo de relación
field-source = Origen
field-target = Destino
field-value = Valor
field-external-references = Referencias externas
field-kill-chain-phases = Fases de la cadena de ataque
field-revoked = Revocado
versions-heading =
    { $count ->
        [one] { $count } versión
       *[other] { $count } versiones
    }
versions-current = actual
versions-compare-a = Comparar desde
versions-compare-b = Comparar con
versions-compare = Mostrar diferencias
diff-caption =
    { $count ->
        [one] { $count } propiedad difiere
       *[other] { $count } propiedades difieren
    }
diff-property = Propiedad
diff-version = Versión del { $version }
diff-changed = cambiada
diff-added = añadida
diff-removed = eliminada
diff-same =
    { $count ->
        [one] { $count } propiedad más es igual.
       *[other] { $count } propiedades más son iguales.
    }

## Grafo
graph-title = Grafo: { $name }
graph-svg-title = Objetos relacionados con { $name }
graph-back = Volver al objeto
graph-empty = No hay objetos relacionados o correlacionados que usted pueda ver.
graph-legend = Líneas continuas: relaciones y referencias. Líneas discontinuas: un valor observable compartido.
graph-nodes =
    { $count ->
        [one] { $count } objeto en el grafo
       *[other] { $count } objetos en el grafo
    }

## Importar
import-title = Importar
import-file = STIX 2.1, JSON de MISP, CSAF 2.0, una lista de valores (uno por línea) o un archivo CSV
import-help = El formato se reconoce por el contenido. Cada objeto se comprueba según STIX 2.1; los válidos se guardan y cada objeto rechazado se muestra con la propiedad y la regla incumplida.
import-submit = Importar
import-no-file = Elija primero un archivo.
import-not-stix = Este archivo no es un documento STIX: { $reason }
upload-failed = El envío ha fallado: { $reason }
import-summary = Nuevos: { $new }. Versiones nuevas: { $versions }. Sin cambios: { $unchanged }. Conflictos: { $conflicts }. Rechazados: { $rejected }.
import-results = Resultado por objeto
import-accepted = aceptado
import-rejected = rechazado
import-more-results =
    { $count ->
        [one] y { $count } objeto más.
       *[other] y { $count } objetos más.
    }
import-another = Importar otro archivo
outcome-new = nuevo
outcome-new-version = versión nueva
outcome-unchanged = ya existente
outcome-conflict = conflicto: esta versión existe con otro contenido

## Fuentes y coincidencias
matching-title = Fuentes y coincidencias
matching-file = Archivo de registro
matching-format = Formato
matching-submit = Comparar con los indicadores
matching-bad-format = Formato de registro desconocido.
matching-not-ready = El índice de indicadores aún se está construyendo. Inténtelo de nuevo en un momento.
matching-summary = Líneas leídas: { $lines }. Observaciones: { $observations }. Líneas mal formadas: { $malformed }. Avistamientos guardados: { $sightings }.
matching-none = Ningún indicador visible para usted coincide con este registro.
matching-sightings = Avistamientos
matching-errors = Líneas mal formadas
matching-line = Línea { $line }
matching-another = Comparar otro registro
feeds-heading = Fuentes
format-eve = Suricata EVE (líneas JSON)
format-zeek = Zeek (líneas JSON)
format-ecs = Elastic Common Schema (líneas JSON)
format-csv = CSV
format-lines = Un valor por línea
format-stix = STIX observed-data

## Cuenta
account-title = Mi cuenta
account-profile = Perfil
account-name = Nombre de usuario
account-role = Rol
account-clearance = Habilitación TLP
account-tokens = Mis tokens de API
account-no-tokens = No hay tokens de API.
account-new-token = Nuevo token de API
account-token-name = Para qué sirve el token
account-create-token = Crear token
account-token-created = Token creado.
account-token-once = Copie este secreto ahora: solo se muestra una vez.
account-token-invalid = Dé al token un nombre (200 caracteres como máximo) y un rol que no supere el suyo.
account-revoke = Revocar
account-password = Cambiar la contraseña
account-current-password = Contraseña actual
account-new-password = Contraseña nueva
account-confirm-password = Repita la contraseña nueva
account-change-password = Cambiar la contraseña
password-mismatch = Las dos contraseñas nuevas no coinciden.
password-too-short = La contraseña debe tener al menos 10 caracteres.
password-too-long = La contraseña debe tener como máximo 1024 caracteres.
password-wrong = La contraseña actual es incorrecta.
role-reader = lector
role-analyst = analista
role-admin = administrador

## Administración
admin-title = Administración
admin-users =
    { $count ->
        [one] { $count } usuario
       *[other] { $count } usuarios
    }
admin-disabled = Desactivado
admin-save = Guardar
admin-new-user = Nuevo usuario
admin-create-user = Crear usuario
admin-bad-name = Los nombres de usuario tienen de 1 a 64 caracteres, sin espacios.
admin-bad-user = Elija un rol y una habilitación TLP válidos.
admin-name-taken = El nombre de usuario { $name } ya está en uso.
admin-user-created = Usuario { $name } creado.
admin-user-saved = Cambios guardados.
admin-self = No puede rebajar su propio rol ni desactivarse.
admin-tokens = Todos los tokens de API
admin-owner = Titular
admin-no-owner = ninguno (creado por comando)
admin-collections = Colecciones TAXII
admin-collections-root = Raíz de la API: { $root }
admin-collection-filter = Contenido
admin-collection-all = todos los objetos
admin-collection-read = Lectura
admin-collection-write = Escritura

## Pares y auditoría
nav-peers = Pares y auditoría
peers-title = Pares y registro de auditoría
peers-heading =
    { $count ->
        [one] { $count } par
       *[other] { $count } pares
    }
peers-never = nunca
col-url = Dirección
col-agreement = Acuerdo
col-last-sync = Última descarga
col-lag = Cambios pendientes
col-received = Objetos recibidos
col-last-error = Último error
audit-heading = Registro de auditoría de las decisiones de salida
audit-verify = Verificar toda la cadena
audit-empty = Todavía no se ha registrado ninguna decisión de salida.
audit-intact =
    { $count ->
        [one] La cadena de auditoría está intacta ({ $count } entrada comprobada).
       *[other] La cadena de auditoría está intacta ({ $count } entradas comprobadas).
    }
audit-broken = La cadena de auditoría está rota en la entrada { $n }: se modificó o se eliminó.
col-at = Hora
col-peer = Par
col-verdict = Decisión
col-hash = Huella
verdict-send = enviado
verdict-send-redacted = enviado con datos suprimidos
verdict-withhold = retenido
dashboard-peers =
    { $count ->
        [one] Hay { $count } par conectado.
       *[other] Hay { $count } pares conectados.
    }
dashboard-peers-failing =
    { $count ->
        [one] { $count } falló en su última descarga.
       *[other] { $count } fallaron en su última descarga.
    }
object-provenance = Procedencia
provenance-local = Creado en este nodo o importado aquí (no recibido de un par).
provenance-origin = Nodo de origen
provenance-received-from = Recibido de
provenance-hops = Redifusiones aún permitidas
provenance-redacted-by = Datos suprimidos por
provenance-signer-revoked = Clave de firma revocada
provenance-revoked-origin = La clave del origen fue revocada por { $community } desde { $since }; esta versión se firmó antes y se conserva.
provenance-revoked-redactor = La clave del nodo que suprimió datos fue revocada por { $community } desde { $since }; esta versión se firmó antes y se conserva.

## Incidentes
nav-incidents = Incidentes
incidents-title = Incidentes
incidents-empty = Este nodo no tiene ningún incidente que usted pueda ver.
incident-status = Estado de la investigación
incident-determination = Determinación
incident-severity = Gravedad
incident-origin = Abierto por
incident-local = este nodo
incident-alert = alerta
incident-object = El incidente como objeto STIX
incident-state = Estado
versions-heading-plain = Versiones
incident-acks = Acuses de recibo de la alerta (ronda { $round })
incident-overdue = con retraso
incident-timeline = Cronología
incident-timeline-empty = Todavía no ha ocurrido nada en este incidente.
incident-said-by = Emitido por
kind-incident = incidente
kind-ack = acuse de recibo
kind-request = solicitud de asistencia
kind-request-response = respuesta a una solicitud
kind-custody = cadena de custodia
kind-constituency-notification = notificación a la comunidad atendida

## Explicación de la política de salida
object-open-policy = Qué recibiría cada par
policy-title = Qué recibiría cada par: { $name }
policy-title-plain = Qué recibiría cada par
policy-no-federation = Este nodo no está federado: nada sale de él.
policy-changed = Propiedades cambiadas o suprimidas en la copia enviada:
policy-rule = Regla
policy-effect = Efecto
policy-why = Por qué (explicación de la política)
effect-allow = permite
effect-deny = retiene
effect-redact = suprime datos
effect-detect = detecta una categoría
import-read-as = Leído como: { $format }
import-problems =
    { $count ->
        [one] { $count } registro no se pudo convertir
       *[other] { $count } registros no se pudieron convertir
    }
import-format-stix = STIX 2.1
import-format-misp = JSON de MISP
import-format-csaf = aviso CSAF 2.0
import-format-lines = un valor por línea
# Feeds (the CLI's [[feeds]] and feeds-state.json)
feeds-unreadable = No se pudo leer un archivo de las fuentes: { $reason }
feeds-not-configured = (ya no está en concord.toml)
feeds-never-run = Aún no se ha ejecutado.
feeds-ok = ninguno
feeds-errors =
    { $count ->
        [one] { $count } error
       *[other] { $count } errores
    }
feeds-more-errors =
    { $count ->
        [one] y { $count } error más.
       *[other] y { $count } errores más.
    }
col-last-run = Última ejecución
col-new = Nuevos
col-new-versions = Nuevas versiones
col-unchanged = Sin cambios
col-expired = Caducados
col-rejected = Rechazados o no convertibles
col-errors = Errores
# Import jobs
import-uploading = Subiendo el archivo
import-recent = Sus importaciones recientes
import-running = en curso
import-failed = fallida
import-busy = Ya tiene importaciones en curso. Espere a que termine una.
import-full = El servidor está ocupado con otras importaciones. Inténtelo de nuevo en un momento.
import-job-unknown = Esa importación no existe. Las importaciones se guardan una hora y solo para el usuario que las inició.
import-file-name = Archivo:
import-bytes = Tamaño en bytes: { $count }
import-reading = Leyendo y convirtiendo el archivo
import-progress = Objetos guardados: { $done }
# Live notifications
nav-notifications = Notificaciones
live-label = Notificaciones en directo
live-new = Nuevo objeto { $type }: { $name }
notifications-title = Notificaciones
notifications-no-subscription = Ninguna suscripción web le incluye. Un administrador puede añadir una en response.toml: una [[subscription]] con web = true, o web = ["su nombre de usuario"].
notifications-none = No hay notificaciones desde que se inició el servidor.
notifications-recent = Notificaciones recientes
col-subscription = Suscripción
feeds-line = última ejecución el { $date }: { $new } nuevos, { $versions } nuevas versiones, { $rejected } rechazados o no convertibles.
import-layout = Estructura de una lista o de un archivo CSV
import-layout-auto = Reconocerla a partir del contenido
import-bad-layout = No hay ninguna estructura conocida llamada «{ $name }». Elija una de la lista.
import-format-csv = una lista o un archivo CSV con la estructura elegida

## Comunidad (incidencia 24)
nav-community = Comunidad
community-title = Comunidad { $name }
community-title-plain = Comunidad
community-proposals-title = Propuestas de { $name }
community-log-title = Historial de { $name }
community-not-found = Este nodo no pertenece a ninguna comunidad con ese nombre.
community-none = Este nodo no pertenece a ninguna comunidad. Una comunidad se funda con `concord community create`; para unirse, se presenta una solicitud a un miembro.
community-choose = Este nodo pertenece a varias comunidades. Elija una:
community-pages = Páginas de la comunidad
community-overview = Miembros y estatuto
community-proposals = Propuestas
community-history = Historial
community-kind-admit = Admitir a un miembro
community-kind-suspend = Suspender a un miembro
community-kind-readmit = Readmitir a un miembro
community-kind-expel = Expulsar a un miembro
community-kind-revoke-key = Revocar una clave
community-kind-change-charter = Cambiar el estatuto
community-kind-define = Adoptar una definición
community-status-active = activo
community-status-suspended = suspendido
community-status-expelled = expulsado
community-threshold-count =
    { $count ->
        [one] { $count } miembro
       *[other] { $count } miembros
    }
community-threshold-fraction = { $fraction } de los miembros con derecho a voto
community-days =
    { $count ->
        [one] { $count } día
       *[other] { $count } días
    }
community-hours =
    { $count ->
        [one] { $count } hora
       *[other] { $count } horas
    }
community-minutes =
    { $count ->
        [one] { $count } minuto
       *[other] { $count } minutos
    }
community-founded = Fundada el { $date }
community-entries-counted =
    { $count ->
        [one] { $count } entrada del registro contabilizada
       *[other] { $count } entradas del registro contabilizadas
    }
community-entries-refused =
    { $count ->
        [one] { $count } rechazada
       *[other] { $count } rechazadas
    }
community-charter = Estatuto
community-col-decision = Decisión
community-col-threshold = Umbral
community-col-needed-now =
    { $count ->
        [one] Votos a favor necesarios con { $count } miembro activo
       *[other] Votos a favor necesarios con { $count } miembros activos
    }
community-col-period = Plazo de votación
community-col-sponsors = Padrinos
community-members =
    { $count ->
        [one] { $count } miembro
       *[other] { $count } miembros
    }
community-col-organisation = Organización
community-col-country = País
community-col-sectors = Sectores
community-col-since = Miembro desde
community-col-fingerprint = Huella de la clave
community-col-refused-here = Rechazado por este nodo
community-refused = Rechazado
community-refusals = Rechazados por este nodo
community-refusals-none = Este nodo no rechaza a ningún miembro de esta comunidad.
community-refusals-about = Este nodo no intercambia datos con estos miembros, decida lo que decida la comunidad (`concord community refuse`).
community-equivocations = Votos contradictorios
community-equivocations-about = Estos miembros firmaron dos entradas contradictorias; cuenta la primera y la segunda fue rechazada.
community-definitions = Definiciones de la comunidad
community-definitions-none = No se ha adoptado ninguna definición.
community-state-open = abierta
community-state-expired = vencida sin decisión
community-state-passed = aprobada
community-state-failed = rechazada
community-state-superseded = sustituida por
community-yes = a favor
community-no = en contra
community-proposed-by = Propuesta por { $member }
community-yes-votes = Votos a favor
community-no-votes = Votos en contra
community-needed = Necesarios
community-needed-of =
    { $count ->
        [one] { $needed } votos a favor de { $count } miembro con derecho a voto
       *[other] { $needed } votos a favor de { $count } miembros con derecho a voto
    }
community-time-left = Tiempo restante
community-votes-cast = Votos emitidos
community-col-member = Miembro
community-col-vote = Voto
community-vote-yes = Votar a favor
community-vote-no = Votar en contra
community-voted-already = Este nodo votó { $choice }.
community-cannot-vote = Este nodo no tiene derecho a voto en esta propuesta.
community-propose = Proponer una decisión
community-propose-about = La propuesta se firma con la clave de este nodo y cuenta como su voto a favor. Rellene los campos que la decisión necesita: un miembro para suspender, readmitir o expulsar; un miembro y su clave para revocarla; un nombre y un valor JSON para una definición; el estatuto completo (JSON) para cambiarlo. Las admisiones se proponen con `concord community propose admit`, que comprueba la solicitud firmada del candidato.
community-field-member = Miembro
community-field-key = Clave que se revoca (hexadecimal)
community-field-replacement = Clave de sustitución (hexadecimal, opcional)
community-field-application = Solicitud del candidato (JSON de concord community apply)
community-field-sponsors = Otros padrinos (identificadores de nodo, separados por comas)
community-field-name = Nombre de la definición
community-field-value = Valor de la definición (JSON)
community-field-charter = Nuevo estatuto (JSON)
community-field-note = Motivo (en pocas palabras)
community-propose-submit = Firmar y proponer
community-open =
    { $count ->
        [one] { $count } propuesta abierta
       *[other] { $count } propuestas abiertas
    }
community-open-none = No hay ninguna propuesta abierta.
community-not-member = Este nodo no es miembro activo de esta comunidad, así que no puede proponer ni votar.
community-decided = Propuestas decididas y vencidas
community-decided-none = Todavía no se ha decidido ninguna propuesta.
community-col-tally = A favor / necesarios
community-no-key = Este nodo no federa, así que no tiene clave con la que firmar.
community-not-counted = La entrada no contaría, así que no se guardó: { $reason }
community-bad-choice = Un voto es a favor o en contra.
community-no-proposal = Esa propuesta no existe.
community-voted = El voto se firmó y se guardó; llegará a los demás miembros con la próxima sincronización.
community-proposed = La propuesta se firmó y se guardó; llegará a los demás miembros con la próxima sincronización.
community-need-member = Elija el miembro al que se refiere la decisión.
community-need-key = Indique la clave que se revoca.
community-need-application = Pegue la solicitud del candidato.
community-bad-application = La solicitud no es válida: { $detail }
community-need-name = Indique el nombre de la definición.
community-bad-json = El valor no es JSON: { $detail }
community-bad-charter = El estatuto no es aceptable: { $detail }
community-bad-action = Elija un tipo de decisión.
community-entry-proposal = Propuesta: { $kind }
community-entry-vote-yes = Voto a favor de
community-entry-vote-no = Voto en contra de
community-entry-rotate = Cambio de clave, efectivo el { $date }
community-log-total =
    { $count ->
        [one] { $count } entrada en el registro
       *[other] { $count } entradas en el registro
    }
community-log-empty = El registro no tiene entradas en esta página.
community-col-author = Autor
community-col-counted = Contabilizada
community-counted = contabilizada
community-not-counted-short = rechazada
live-governance = { $event }: { $name }
live-governance-proposed = Nueva propuesta
live-governance-member-admitted = Miembro admitido
live-governance-member-suspended = Miembro suspendido
live-governance-member-readmitted = Miembro readmitido
live-governance-member-expelled = Miembro expulsado
live-governance-key-revoked = Clave revocada
live-governance-charter-changed = Estatuto cambiado
live-governance-definition-adopted = Definición adoptada
live-governance-failed = Propuesta rechazada
live-governance-expired = Propuesta vencida
live-governance-superseded = Propuesta sustituida
