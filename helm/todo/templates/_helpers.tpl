{{/*
Names. Kubernetes limits names (and label values) to 63 characters, so every
name is truncated there, without a trailing "-".
*/}}
{{- define "todo.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "<release>-<chart>", or the release name alone when it already contains the chart name. */}}
{{- define "todo.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of one component's objects: pass (dict "root" $ "component" "backend"). */}}
{{- define "todo.componentName" -}}
{{- printf "%s-%s" (include "todo.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "todo.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every object carries. */}}
{{- define "todo.labels" -}}
helm.sh/chart: {{ include "todo.chart" . }}
app.kubernetes.io/name: {{ include "todo.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "todo.name" . }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of one component: pass (dict "root" $ "component" "backend"). */}}
{{- define "todo.componentLabels" -}}
{{ include "todo.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The stable subset used in selectors (never changes across upgrades). */}}
{{- define "todo.selectorLabels" -}}
app.kubernetes.io/name: {{ include "todo.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "todo.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "todo.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference: pass (dict "root" $ "image" .Values.backend.image). The tag
defaults to the appVersion so chart and images move together; a digest, when
given, pins the exact image.
*/}}
{{- define "todo.image" -}}
{{- $registry := .root.Values.global.imageRegistry }}
{{- if .image.registry }}{{ $registry = .image.registry }}{{ end }}
{{- /* The schema refuses it too; this also holds under --skip-schema-validation. */}}
{{- if eq (toString .image.tag) "latest" }}
{{- fail (printf "image tag \"latest\" is not allowed for %s: pin a version (an empty tag means the chart's appVersion %s)" .image.repository .root.Chart.AppVersion) }}
{{- end }}
{{- $reference := printf "%s:%s" .image.repository (.image.tag | default .root.Chart.AppVersion | toString) }}
{{- if .image.digest }}{{ $reference = printf "%s@%s" $reference .image.digest }}{{ end }}
{{- if $registry }}
{{- printf "%s/%s" (trimSuffix "/" $registry) $reference }}
{{- else }}
{{- $reference }}
{{- end }}
{{- end }}

{{/* database.mode: whether the bundled PostgreSQL StatefulSet is rendered. */}}
{{- define "todo.postgresql.enabled" -}}
{{- if eq .Values.database.mode "bundled" }}true{{ end }}
{{- end }}

{{/* database.mode: whether the backend uses externalDatabase. */}}
{{- define "todo.externalDatabase.enabled" -}}
{{- if eq .Values.database.mode "external" }}true{{ end }}
{{- end }}

{{/* database.mode: whether a CloudNativePG Cluster is rendered. */}}
{{- define "todo.cnpg.enabled" -}}
{{- if eq .Values.database.mode "cnpg" }}true{{ end }}
{{- end }}

{{/*
The CloudNativePG Cluster's name. The operator derives its Services
("-rw", "-ro", "-r"), its Secrets ("-app") and its Pods ("-1", "-2") from
it, so it leaves room for those suffixes.
*/}}
{{- define "todo.cnpg.clusterName" -}}
{{- printf "%s-db" (include "todo.fullname" .) | trunc 50 | trimSuffix "-" }}
{{- end }}

{{/* Whether the backup CronJob is rendered (bundled database only). */}}
{{- define "todo.backup.enabled" -}}
{{- if and .Values.backup.enabled (include "todo.postgresql.enabled" .) }}true{{ end }}
{{- end }}

{{/* The claim the backups are written to. */}}
{{- define "todo.backup.claimName" -}}
{{- default (include "todo.componentName" (dict "root" . "component" "backups")) .Values.backup.persistence.existingClaim }}
{{- end }}

{{/* Secret holding jwt-secret and postgres-password. */}}
{{- define "todo.secretName" -}}
{{- default (include "todo.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* Whether the chart renders its own Secret at all. */}}
{{- define "todo.secret.enabled" -}}
{{- if or (not .Values.secrets.existingSecret) (and (include "todo.externalDatabase.enabled" .) .Values.externalDatabase.url (not .Values.externalDatabase.existingSecret)) (include "todo.smtp.inline" .) }}true{{ end }}
{{- end }}

{{/* Secret and key holding the external database URL. */}}
{{- define "todo.externalDatabase.secretName" -}}
{{- if .Values.externalDatabase.existingSecret }}
{{- .Values.externalDatabase.existingSecret }}
{{- else }}
{{- include "todo.fullname" . }}
{{- end }}
{{- end }}

{{- define "todo.externalDatabase.secretKey" -}}
{{- if .Values.externalDatabase.existingSecret }}
{{- .Values.externalDatabase.existingSecretKey }}
{{- else -}}
database-url
{{- end }}
{{- end }}

{{/*
A secret value that survives upgrades: the value given, else the one already
in the release's Secret, else, on an install, a new random one. An upgrade
that finds no Secret stops rather than invent a value: a new signing key
would log every user out, and a new database password would not match the
data already on the volume. `lookup` is empty under `helm template` (and so
under Argo CD and Flux), where an install renders a fresh value every time:
the NOTES say to create the Secret once and use secrets.existingSecret.
Pass (dict "root" $ "key" "jwt-secret" "value" .Values.secrets.jwtSecret
"setting" "secrets.jwtSecret" "length" 48).
*/}}
{{- define "todo.secretValue" -}}
{{- if .value }}
{{- .value }}
{{- else }}
{{- $name := include "todo.fullname" .root }}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace $name }}
{{- if and $existing (hasKey $existing.data .key) }}
{{- index $existing.data .key | b64dec }}
{{- else if .root.Release.IsUpgrade }}
{{- fail (printf "upgrade: the release's Secret %q (key %q) was not found, and a new %s would not match what the release already uses. Pass the current value with --set %s=... (kubectl get secret %s -n %s -o jsonpath='{.data.%s}' | base64 -d), or set secrets.existingSecret to a Secret you manage" $name .key .key .setting $name .root.Release.Namespace .key) }}
{{- else }}
{{- randAlphaNum .length }}
{{- end }}
{{- end }}
{{- end }}

{{/* Pod-level security context shared by the app's Pods (distroless nonroot user). */}}
{{- define "todo.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Container-level security context; runAsUser is inherited from the Pod. */}}
{{- define "todo.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Public URL of the frontend: explicit, else from the Ingress, else from the HTTPRoute's first host name (https when the chart's Gateway serves it). */}}
{{- define "todo.publicUrl" -}}
{{- if .Values.frontend.config.publicUrl }}
{{- .Values.frontend.config.publicUrl }}
{{- else if .Values.ingress.enabled }}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host }}
{{- else if .Values.gateway.enabled }}
{{- printf "%s://%s" (ternary "https" "http" (and .Values.gateway.create.enabled .Values.gateway.create.https)) (first (include "todo.gateway.hostnames" . | fromYamlArray)) }}
{{- end }}
{{- end }}

{{/* The HTTPRoute's host names, as a YAML list: the values given, else ingress.host. */}}
{{- define "todo.gateway.hostnames" -}}
{{- toYaml (default (list .Values.ingress.host) .Values.gateway.hostnames) }}
{{- end }}

{{/*
The backend paths published with /mcp (assistant.mcp.ingress), on the
Ingress and the HTTPRoute alike: /mcp, and what an MCP client needs to log
in by OAuth: the discovery documents, registration and the token endpoint
(the authorization page, /oauth/authorize, is the frontend's). A YAML list
of [path, Ingress pathType].
*/}}
{{- define "todo.mcp.publicPaths" -}}
- ["/mcp", Exact]
- ["/.well-known/oauth-protected-resource", Prefix]
- ["/.well-known/oauth-authorization-server", Exact]
- ["/oauth/register", Exact]
- ["/oauth/token", Exact]
- ["/oauth/clients", Prefix]
{{- end }}

{{/* NetworkPolicy egress rule for cluster DNS. */}}
{{- define "todo.networkPolicy.dnsEgress" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}

{{/*
ASSISTANT_TIMEOUT, checked against the request timeout: a longer turn would
be cut off with its actions unreported. The schema cannot compare two values.
*/}}
{{- define "todo.assistant.timeout" -}}
{{- $a := .Values.assistant }}
{{- if ge (int $a.timeoutSeconds) (int .Values.backend.config.requestTimeoutSeconds) }}
{{- fail (printf "assistant.timeoutSeconds (%v) must be shorter than backend.config.requestTimeoutSeconds (%v)" $a.timeoutSeconds .Values.backend.config.requestTimeoutSeconds) }}
{{- end }}
{{- $a.timeoutSeconds }}
{{- end }}

{{/*
MESSAGES_PER_CONVERSATION_MAX, checked against the turn budget: a chat turn
starts only when its message, every action it may take and its reply fit,
so a smaller quota would refuse every message (the backend would not start).
*/}}
{{- define "todo.quotas.messagesPerConversation" -}}
{{- $needed := add .Values.assistant.maxToolCallsPerTurn 2 }}
{{- $quota := .Values.backend.config.quotas.messagesPerConversation }}
{{- if lt (int $quota) (int $needed) }}
{{- fail (printf "backend.config.quotas.messagesPerConversation (%v) must be at least assistant.maxToolCallsPerTurn + 2 (%v)" $quota $needed) }}
{{- end }}
{{- $quota }}
{{- end }}

{{/*
MCP_ALLOWED_HOSTS: the values given, else the names a client can reach the
backend by: its Service inside the cluster, localhost for port-forward, and
the Ingress host when /mcp is routed there.
*/}}
{{- define "todo.mcp.allowedHosts" -}}
{{- $mcp := .Values.assistant.mcp }}
{{- if $mcp.allowedHosts }}
{{- join "," $mcp.allowedHosts }}
{{- else }}
{{- $service := include "todo.componentName" (dict "root" . "component" "backend") }}
{{- $namespace := .Release.Namespace }}
{{- $hosts := list $service (printf "%s.%s" $service $namespace) (printf "%s.%s.svc" $service $namespace) (printf "%s.%s.svc.cluster.local" $service $namespace) "localhost" "127.0.0.1" }}
{{- if and $mcp.ingress .Values.ingress.enabled }}
{{- $hosts = append $hosts .Values.ingress.host }}
{{- end }}
{{- if and $mcp.ingress .Values.gateway.enabled }}
{{- range include "todo.gateway.hostnames" . | fromYamlArray }}
{{- if not (has . $hosts) }}{{ $hosts = append $hosts . }}{{ end }}
{{- end }}
{{- end }}
{{- join "," $hosts }}
{{- end }}
{{- end }}

{{/* The provider's port, from assistant.baseURL (443/80 by scheme when it names none). */}}
{{- define "todo.assistant.port" -}}
{{- $url := urlParse .Values.assistant.baseURL }}
{{- $hostPort := splitList ":" $url.host }}
{{- if gt (len $hostPort) 1 }}
{{- last $hostPort }}
{{- else if eq $url.scheme "https" }}443
{{- else }}80
{{- end }}
{{- end }}

{{/* Port of the backups' object storage: the endpoint's, else HTTPS. */}}
{{- define "todo.backup.s3Port" -}}
{{- if .Values.backup.s3.endpoint }}
{{- $url := urlParse .Values.backup.s3.endpoint }}
{{- $hostPort := splitList ":" $url.host }}
{{- if gt (len $hostPort) 1 }}
{{- last $hostPort }}
{{- else if eq $url.scheme "https" }}443
{{- else }}80
{{- end }}
{{- else }}443
{{- end }}
{{- end }}

{{/*
The container that dumps the bundled database (backup.sh), with the chart's
PostgreSQL image: the container of the backup CronJob, or its init
container when an upload follows.
*/}}
{{- define "todo.backup.dumpContainer" -}}
{{- $pg := .Values.postgresql }}
- name: dump
  image: {{ include "todo.image" (dict "root" . "image" $pg.image) | quote }}
  imagePullPolicy: {{ $pg.image.pullPolicy }}
  command: ["sh", "/scripts/backup.sh"]
  env:
    - name: PGHOST
      value: {{ include "todo.componentName" (dict "root" . "component" "postgresql") | quote }}
    - name: PGPORT
      value: {{ $pg.port | quote }}
    - name: PGUSER
      value: {{ $pg.auth.username | quote }}
    - name: PGDATABASE
      value: {{ $pg.auth.database | quote }}
    - name: PGPASSWORD
      valueFrom:
        secretKeyRef:
          name: {{ include "todo.secretName" . }}
          key: postgres-password
    # A database that does not answer fails the backup instead of hanging it.
    - name: PGCONNECT_TIMEOUT
      value: "10"
    - name: BACKUP_DIR
      value: /backups
    - name: BACKUP_RETENTION
      value: {{ .Values.backup.retention | quote }}
  resources:
    {{- toYaml .Values.backup.resources | nindent 4 }}
  securityContext:
    {{- include "todo.containerSecurityContext" . | nindent 4 }}
  volumeMounts:
    - name: scripts
      mountPath: /scripts
      readOnly: true
    - name: backups
      mountPath: /backups
    - name: tmp
      mountPath: /tmp
{{- end }}

{{/* NetworkPolicy peer: the Gateway's proxy Pods (gateway.namespaceSelector, narrowed by gateway.podSelector). */}}
{{- define "todo.networkPolicy.gatewayPeer" -}}
- namespaceSelector:
    {{- toYaml .Values.gateway.namespaceSelector | nindent 4 }}
  {{- with .Values.gateway.podSelector }}
  podSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/*
The OpenTelemetry variables both ConfigMaps carry when otel.enabled: pass
(dict "root" $ "component" "backend"). The service name is the
component's, so the two servers' spans are told apart.
*/}}
{{- define "todo.otel.env" -}}
{{- $otel := .root.Values.otel }}
{{- if $otel.enabled }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ $otel.endpoint | quote }}
OTEL_SERVICE_NAME: {{ printf "todo-%s" .component | quote }}
OTEL_TRACES_SAMPLER: "parentbased_traceidratio"
OTEL_TRACES_SAMPLER_ARG: {{ $otel.sampleRatio | toString | quote }}
{{- $attributes := list (printf "service.namespace=%s" .root.Release.Namespace) (printf "service.version=%s" .root.Chart.AppVersion) }}
{{- range $key, $value := $otel.resourceAttributes }}
{{- $attributes = append $attributes (printf "%s=%v" $key $value) }}
{{- end }}
OTEL_RESOURCE_ATTRIBUTES: {{ join "," $attributes | quote }}
{{- end }}
{{- end }}

{{/* The collector's port, from otel.endpoint (an http:// URL; 80 when it names none). */}}
{{- define "todo.otel.port" -}}
{{- $url := urlParse .Values.otel.endpoint }}
{{- $hostPort := splitList ":" $url.host }}
{{- if gt (len $hostPort) 1 }}
{{- last $hostPort }}
{{- else }}80
{{- end }}
{{- end }}

{{/* NetworkPolicy egress rule to the trace collector, when traces are on. */}}
{{- define "todo.networkPolicy.otelEgress" -}}
{{- if .Values.otel.enabled }}
- to:
    {{- with .Values.otel.egress.to }}
    - {{ toYaml . | indent 6 | trim }}
    {{- else }}
    - ipBlock:
        cidr: {{ .Values.otel.egress.cidr }}
    {{- end }}
  ports:
    - port: {{ include "todo.otel.port" . }}
      protocol: TCP
{{- end }}
{{- end }}

{{/*
E-mail reminders (reminders.smtp). The SMTP URL holds the server's
password: it lives in a Secret only, and no failure message quotes it or
any part of it.
*/}}
{{/* Secret and key holding SMTP_URL: existingSecret, else the chart's own. */}}
{{- define "todo.smtp.secretName" -}}
{{- default (include "todo.fullname" .) .Values.reminders.smtp.existingSecret }}
{{- end }}

{{- define "todo.smtp.secretKey" -}}
{{- if .Values.reminders.smtp.existingSecret }}
{{- .Values.reminders.smtp.existingSecretKey }}
{{- else -}}
smtp-url
{{- end }}
{{- end }}

{{/* Whether the chart's Secret carries `smtp-url` (SMTP on, with an inline url). */}}
{{- define "todo.smtp.inline" -}}
{{- $smtp := .Values.reminders.smtp }}
{{- if and $smtp.enabled $smtp.url (not $smtp.existingSecret) }}true{{ end }}
{{- end }}

{{/*
The server an inline reminders.smtp.url connects to, as YAML {host, port},
read as lettre reads it: the authority ends at the first "/", "?" or "#",
the host follows its last "@", and the port is the URL's own, else 465 for
smtps://, 587 with a tls= parameter (STARTTLS), 25 for plain smtp://. By
pattern, not urlParse, whose error would quote the URL, password and all.
*/}}
{{- define "todo.smtp.urlServer" -}}
{{- $url := .Values.reminders.smtp.url }}
{{- /* Not a schema pattern: a schema error would print the URL. */}}
{{- if not (regexMatch "^smtps?://([^\\s/?#]*@)?[^\\s/?#@]+([/?#]\\S*)?$" $url) }}
{{- fail "reminders.smtp.url must be smtp://[user:password@]host[:port][?tls=required] or smtps://[user:password@]host[:port], without spaces (the value is not shown: it may hold a password)" }}
{{- end }}
{{- $scheme := regexFind "^smtps?" $url }}
{{- $rest := trimPrefix (printf "%s://" $scheme) $url }}
{{- $authority := regexReplaceAll "[/?#].*$" $rest "" }}
{{- if and (contains "@" $rest) (not (contains "@" $authority)) }}
{{- fail "reminders.smtp.url: a \"/\", \"?\" or \"#\" in its user name or password ends the server's address early; percent-encode them (%2F, %3F, %23)" }}
{{- end }}
{{- $hostPort := regexReplaceAll "^.*@" $authority "" }}
{{- if not (regexMatch "^([A-Za-z0-9._-]+|\\[[0-9A-Fa-f:.]+\\])(:[0-9]+)?$" $hostPort) }}
{{- fail "reminders.smtp.url names no host[:port] after its user name and password (user:password@host:port)" }}
{{- end }}
{{- $port := regexFind "[0-9]+$" (regexFind ":[0-9]+$" $hostPort) }}
{{- $host := $hostPort }}
{{- if $port }}{{ $host = trimSuffix (printf ":%s" $port) $hostPort }}{{ end }}
{{- $query := regexFind "\\?[^#]*" (trimPrefix $authority $rest) }}
{{- if not $port }}
{{- if eq $scheme "smtps" }}{{ $port = "465" }}
{{- else if regexMatch "[?&]tls=" $query }}{{ $port = "587" }}
{{- else }}{{ $port = "25" }}
{{- end }}
{{- end }}
host: {{ $host | trimPrefix "[" | trimSuffix "]" | quote }}
port: {{ $port }}
{{- end }}

{{/*
The backend's reminder settings (its ConfigMap), after the checks a schema
cannot make: an inline url must connect to reminders.smtp.port (the only
port the NetworkPolicy opens) and to reminders.smtp.host when that is set.
*/}}
{{- define "todo.reminders.env" -}}
{{- $smtp := .Values.reminders.smtp -}}
REMINDER_POLL_SECONDS: {{ .Values.reminders.pollSeconds | quote }}
{{- if $smtp.enabled }}
{{- /* The schema refuses these too; this also holds under --skip-schema-validation. */}}
{{- if not $smtp.from }}
{{- fail "reminders.smtp.from is required with reminders.smtp.enabled: the From address of the reminders, e.g. \"Todo <todo@example.com>\"" }}
{{- end }}
{{- if not (or $smtp.url $smtp.existingSecret) }}
{{- fail "reminders.smtp.enabled needs reminders.smtp.url or reminders.smtp.existingSecret (a Secret with the URL under existingSecretKey)" }}
{{- end }}
{{- if include "todo.smtp.inline" . }}
{{- $server := include "todo.smtp.urlServer" . | fromYaml }}
{{- if ne (int $server.port) (int $smtp.port) }}
{{- fail (printf "reminders.smtp.port (%v) is not the port reminders.smtp.url connects to (its own, else 465 for smtps://, 587 with ?tls=, 25 for plain smtp://): the NetworkPolicy opens only reminders.smtp.port" $smtp.port) }}
{{- end }}
{{- if and $smtp.host (ne (lower $smtp.host) (lower $server.host)) }}
{{- fail (printf "reminders.smtp.host (%s) is not the host reminders.smtp.url connects to" $smtp.host) }}
{{- end }}
{{- end }}
SMTP_FROM: {{ $smtp.from | quote }}
{{- end }}
{{- end }}

{{/* The SMTP server's host for the NOTES and the egress rule: reminders.smtp.host, else an inline url's. */}}
{{- define "todo.smtp.host" -}}
{{- if .Values.reminders.smtp.host }}
{{- .Values.reminders.smtp.host }}
{{- else if include "todo.smtp.inline" . }}
{{- (include "todo.smtp.urlServer" . | fromYaml).host }}
{{- end }}
{{- end }}

{{/*
The ipBlocks the backend may reach the SMTP server at, as a YAML list:
reminders.smtp.egressCIDRs; else, unless egressTo selects an in-cluster
relay, the host's own address when it is an IP address, else any public
IPv4 address: 0.0.0.0/0 except the private (RFC 1918), shared (RFC 6598),
loopback and link-local ranges, where the cluster's Pods, Services, nodes
and cloud metadata live.
*/}}
{{- define "todo.smtp.egressBlocks" -}}
{{- $smtp := .Values.reminders.smtp }}
{{- if $smtp.egressCIDRs }}
{{- range $smtp.egressCIDRs }}
- cidr: {{ . }}
{{- end }}
{{- else if not $smtp.egressTo }}
{{- $host := include "todo.smtp.host" . }}
{{- if regexMatch "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$" $host }}
- cidr: {{ $host }}/32
{{- else if and (contains ":" $host) (regexMatch "^[0-9a-fA-F:.]+$" $host) }}
- cidr: {{ $host }}/128
{{- else }}
- cidr: 0.0.0.0/0
  except: [10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16, 172.16.0.0/12, 192.168.0.0/16]
{{- end }}
{{- end }}
{{- end }}

{{/* NetworkPolicy egress rule to the SMTP server, when e-mail reminders are on. */}}
{{- define "todo.networkPolicy.smtpEgress" -}}
{{- $smtp := .Values.reminders.smtp }}
{{- if $smtp.enabled }}
# The SMTP server the reminders are sent through, on its port only.
- to:
    {{- with $smtp.egressTo }}
    - {{ toYaml . | indent 6 | trim }}
    {{- end }}
    {{- range include "todo.smtp.egressBlocks" . | fromYamlArray }}
    - ipBlock:
        cidr: {{ .cidr }}
        {{- with .except }}
        except:
          {{- range . }}
          - {{ . }}
          {{- end }}
        {{- end }}
    {{- end }}
  ports:
    - port: {{ $smtp.port }}
      protocol: TCP
{{- end }}
{{- end }}
