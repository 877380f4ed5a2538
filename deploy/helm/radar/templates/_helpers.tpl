{{/* Names and labels shared by every object. */}}
{{- define "radar.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "radar.labels" -}}
app.kubernetes.io/name: radar
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "radar.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* Environment of every container: settings from the ConfigMap, then the secrets and TLS files. */}}
{{- define "radar.env" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret.name | default (printf "%s-database" (include "radar.fullname" .)) }}
      key: {{ .Values.database.existingSecret.key }}
- name: FEEDBACK_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.feedback.existingSecret.name | default (printf "%s-feedback" (include "radar.fullname" .)) }}
      key: {{ .Values.feedback.existingSecret.key }}
{{- if .Values.kafka.sasl.passwordSecret.name }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ .Values.kafka.sasl.passwordSecret.name }}, key: {{ .Values.kafka.sasl.passwordSecret.key }}}
{{- end }}
{{- if .Values.kafka.tls.caSecret.name }}
- {name: KAFKA_SSL_CAFILE, value: /etc/radar/kafka-ca/{{ .Values.kafka.tls.caSecret.key }}}
{{- end }}
{{- if .Values.kafka.tls.clientSecret.name }}
- {name: KAFKA_SSL_CERTFILE, value: /etc/radar/kafka-client/{{ .Values.kafka.tls.clientSecret.certKey }}}
- {name: KAFKA_SSL_KEYFILE, value: /etc/radar/kafka-client/{{ .Values.kafka.tls.clientSecret.keyKey }}}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "radar.volumeMounts" -}}
- {name: tmp, mountPath: /tmp}
{{- if .Values.kafka.tls.caSecret.name }}
- {name: kafka-ca, mountPath: /etc/radar/kafka-ca, readOnly: true}
{{- end }}
{{- if .Values.kafka.tls.clientSecret.name }}
- {name: kafka-client, mountPath: /etc/radar/kafka-client, readOnly: true}
{{- end }}
{{- end -}}

{{- define "radar.volumes" -}}
- {name: tmp, emptyDir: {}}
{{- if .Values.kafka.tls.caSecret.name }}
- name: kafka-ca
  secret: {secretName: {{ .Values.kafka.tls.caSecret.name }}}
{{- end }}
{{- if .Values.kafka.tls.clientSecret.name }}
- name: kafka-client
  secret: {secretName: {{ .Values.kafka.tls.clientSecret.name }}}
{{- end }}
{{- end -}}
