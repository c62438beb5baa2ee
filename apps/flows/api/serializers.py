"""Schemas of the flow APIs (documentation only: the services parse and validate the bodies,
since a flow is a free-form graph checked as a whole)."""

from __future__ import annotations

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    description = serializers.CharField()
    traceId = serializers.CharField()  # noqa: N815


class FlowSerializer(serializers.Serializer):
    flowType = serializers.ChoiceField(  # noqa: N815
        choices=["REGISTRATION", "PASSWORD_RECOVERY", "INVITED_USER_REGISTRATION", "ASK_PASSWORD"]
    )
    steps = serializers.ListField(child=serializers.DictField())


class FlowDraftSerializer(FlowSerializer):
    version = serializers.IntegerField(allow_null=True)
    inheritedFrom = serializers.CharField(allow_null=True)  # noqa: N815
    isDefault = serializers.BooleanField()  # noqa: N815
    hasDraft = serializers.BooleanField()  # noqa: N815
    isDraft = serializers.BooleanField()  # noqa: N815


class FlowTypeSerializer(serializers.Serializer):
    flowType = serializers.CharField()  # noqa: N815


class RollbackSerializer(FlowTypeSerializer):
    version = serializers.IntegerField()


class VersionSerializer(FlowTypeSerializer):
    version = serializers.IntegerField()


class FlowVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    publishedAt = serializers.DateTimeField()  # noqa: N815
    publishedBy = serializers.CharField()  # noqa: N815
    source = serializers.CharField()
    steps = serializers.ListField(child=serializers.DictField())


class ValidationSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    errors = serializers.ListField(child=serializers.DictField())


class FlowMetaSerializer(serializers.Serializer):
    flowType = serializers.CharField()  # noqa: N815
    supportedExecutors = serializers.ListField(child=serializers.CharField())  # noqa: N815
    connectorConfigs = serializers.DictField()  # noqa: N815
    attributeProfile = serializers.CharField()  # noqa: N815
    attributeMetadata = serializers.ListField(child=serializers.DictField())  # noqa: N815
    inputIdentifiers = serializers.ListField(child=serializers.CharField())  # noqa: N815
    executorConnections = serializers.ListField(child=serializers.DictField())  # noqa: N815
    supportedFlowCompletionConfigs = serializers.ListField(child=serializers.CharField())  # noqa: N815
    workflowEnabled = serializers.BooleanField()  # noqa: N815


class FlowConfigSerializer(serializers.Serializer):
    flowType = serializers.CharField()  # noqa: N815
    isEnabled = serializers.BooleanField()  # noqa: N815
    flowCompletionConfigs = serializers.DictField(child=serializers.CharField())  # noqa: N815
    inheritedFrom = serializers.CharField(  # noqa: N815
        required=False, help_text="Id of the ancestor organization whose config applies (inherited values only)."
    )


class FlowConfigPatchSerializer(serializers.Serializer):
    flowType = serializers.CharField()  # noqa: N815
    isEnabled = serializers.BooleanField(required=False)  # noqa: N815
    flowCompletionConfigs = serializers.DictField(child=serializers.CharField(), required=False)  # noqa: N815


class ExecuteRequestSerializer(serializers.Serializer):
    flowType = serializers.CharField(required=False)  # noqa: N815
    applicationId = serializers.CharField(required=False)  # noqa: N815
    flowId = serializers.CharField(required=False)  # noqa: N815
    actionId = serializers.CharField(required=False)  # noqa: N815
    inputs = serializers.DictField(child=serializers.CharField(), required=False)


class ExecuteDataSerializer(serializers.Serializer):
    components = serializers.ListField(child=serializers.DictField())
    requiredParams = serializers.ListField(child=serializers.CharField(), required=False)  # noqa: N815
    redirectURL = serializers.CharField(required=False)  # noqa: N815
    additionalData = serializers.DictField(required=False)  # noqa: N815
    messages = serializers.ListField(child=serializers.DictField(), required=False)


class ExecuteResponseSerializer(serializers.Serializer):
    flowId = serializers.CharField()  # noqa: N815
    flowType = serializers.CharField()  # noqa: N815
    flowStatus = serializers.ChoiceField(choices=["INCOMPLETE", "COMPLETE"])  # noqa: N815
    type = serializers.ChoiceField(choices=["VIEW", "REDIRECTION", "WEBAUTHN", "INTERNAL_PROMPT"])
    data = ExecuteDataSerializer()
