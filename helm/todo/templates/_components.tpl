{{/*
The objects backend and frontend both have, written once. Each takes
(dict "root" $ "component" "backend" …) and reads that component's values
block (.Values.backend or .Values.frontend).
*/}}

{{/* name, namespace and labels of one component's object. */}}
{{- define "todo.component.metadata" -}}
name: {{ include "todo.componentName" . }}
namespace: {{ .root.Release.Namespace }}
labels:
  {{- include "todo.componentLabels" . | nindent 2 }}
{{- end }}

{{/* The component's ClusterIP (or other type) Service on its named port. */}}
{{- define "todo.component.service" -}}
{{- $values := index .root.Values .component -}}
apiVersion: v1
kind: Service
metadata:
  {{- include "todo.component.metadata" . | nindent 2 }}
spec:
  type: {{ $values.service.type }}
  selector:
    {{- include "todo.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ $values.service.port }}
      targetPort: http
      protocol: TCP
{{- end }}

{{/* CPU-based autoscaling of the component's Deployment, when enabled. */}}
{{- define "todo.component.hpa" -}}
{{- $values := index .root.Values .component -}}
{{- if $values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  {{- include "todo.component.metadata" . | nindent 2 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "todo.componentName" . }}
  minReplicas: {{ $values.autoscaling.minReplicas }}
  maxReplicas: {{ $values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $values.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- end }}

{{/* A PodDisruptionBudget for the component, when enabled. */}}
{{- define "todo.component.pdb" -}}
{{- $values := index .root.Values .component -}}
{{- if $values.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  {{- include "todo.component.metadata" . | nindent 2 }}
spec:
  minAvailable: {{ $values.podDisruptionBudget.minAvailable }}
  selector:
    matchLabels:
      {{- include "todo.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}

{{/*
The component's Deployment: hardened container, probes, checksums that roll
the Pods when their configuration changes, zero-downtime rollouts. Extra
keys: "liveness" and "readiness" (probe paths), "env" (a template of
container env entries, optional), "rollOn" (annotation key → template whose
content, when it changes, must restart the Pods).
*/}}
{{- define "todo.component.deployment" -}}
{{- $root := .root -}}
{{- $values := index $root.Values .component -}}
{{- $component := dict "root" $root "component" .component -}}
{{- $name := include "todo.componentName" $component -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  {{- include "todo.component.metadata" $component | nindent 2 }}
spec:
  {{- if not $values.autoscaling.enabled }}
  replicas: {{ $values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "todo.selectorLabels" $component | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      # Never drop below the wanted count: a new Pod must be ready first.
      maxUnavailable: 0
      maxSurge: 1
  template:
    metadata:
      labels:
        {{- include "todo.componentLabels" $component | nindent 8 }}
        {{- with $values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # Configuration is read at startup only: a change must roll the Pods.
        {{- range $key, $template := .rollOn }}
        checksum/{{ $key }}: {{ include (print $root.Template.BasePath "/" $template) $root | sha256sum }}
        {{- end }}
        {{- with $values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "todo.serviceAccountName" $root }}
      automountServiceAccountToken: false
      # No <SERVICE>_PORT/_HOST variables: configuration comes from the ConfigMap only.
      enableServiceLinks: false
      {{- with $values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- include "todo.podSecurityContext" $root | nindent 8 }}
      # Longer than SHUTDOWN_GRACE_SECONDS plus the preStop sleep, so the
      # server finishes in-flight requests before it is killed.
      terminationGracePeriodSeconds: {{ add $values.config.shutdownGraceSeconds $values.preStopSleepSeconds 10 }}
      containers:
        - name: {{ .component }}
          image: {{ include "todo.image" (dict "root" $root "image" $values.image) | quote }}
          imagePullPolicy: {{ $values.image.pullPolicy }}
          args: ["serve"]
          ports:
            - name: http
              containerPort: {{ $values.containerPort }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ $name }}
          {{- with .env }}
          env:
            {{- include . $root | nindent 12 }}
          {{- end }}
          startupProbe:
            httpGet:
              path: {{ .liveness }}
              port: http
            periodSeconds: {{ $values.startupProbe.periodSeconds }}
            failureThreshold: {{ $values.startupProbe.failureThreshold }}
          livenessProbe:
            httpGet:
              path: {{ .liveness }}
              port: http
            periodSeconds: {{ $values.livenessProbe.periodSeconds }}
            timeoutSeconds: {{ $values.livenessProbe.timeoutSeconds }}
            failureThreshold: {{ $values.livenessProbe.failureThreshold }}
          readinessProbe:
            httpGet:
              path: {{ .readiness }}
              port: http
            periodSeconds: {{ $values.readinessProbe.periodSeconds }}
            timeoutSeconds: {{ $values.readinessProbe.timeoutSeconds }}
            failureThreshold: {{ $values.readinessProbe.failureThreshold }}
          {{- if gt (int $values.preStopSleepSeconds) 0 }}
          lifecycle:
            preStop:
              # The image has no shell; the kubelet's sleep action needs none.
              sleep:
                seconds: {{ $values.preStopSleepSeconds }}
          {{- end }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            {{- include "todo.containerSecurityContext" $root | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        # The root filesystem is read-only; a small scratch space for libraries that want one.
        - name: tmp
          emptyDir:
            sizeLimit: 16Mi
      {{- with $values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}

{{/*
A `helm test` Pod running one of the release's own images (no shell, no
third-party image) with "args": "component" says whose ("backend" or
"frontend"), "name" is its suffix, "container" its container's name.
*/}}
{{- define "todo.testPod" -}}
{{- $root := .root -}}
apiVersion: v1
kind: Pod
metadata:
  name: {{ printf "%s-%s" (include "todo.fullname" $root) .name | trunc 63 | trimSuffix "-" }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "todo.componentLabels" (dict "root" $root "component" "test") | nindent 4 }}
  annotations:
    helm.sh/hook: test
    # Kept after a run so its logs can be read; replaced by the next run.
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  restartPolicy: Never
  serviceAccountName: {{ include "todo.serviceAccountName" $root }}
  automountServiceAccountToken: false
  enableServiceLinks: false
  {{- $values := index $root.Values .component }}
  {{- with $values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- include "todo.podSecurityContext" $root | nindent 4 }}
  containers:
    - name: {{ .container }}
      image: {{ include "todo.image" (dict "root" $root "image" $values.image) | quote }}
      imagePullPolicy: {{ $values.image.pullPolicy }}
      args: {{ toJson .args }}
      resources:
        {{- toYaml $root.Values.tests.resources | nindent 8 }}
      securityContext:
        {{- include "todo.containerSecurityContext" $root | nindent 8 }}
{{- end }}
