using Microsoft.Extensions.Logging;

namespace C2Fast.Diagnostics;

/// <summary>
/// Source-generated log messages for every layer (no formatting cost when the level is off). Parameters are
/// plain values so that any layer may log; nothing here ever receives the API key.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Connected to {Endpoint} (connection id {ConnectionId}).")]
    public static partial void Connected(ILogger logger, Uri endpoint, string? connectionId);

    [LoggerMessage(2, LogLevel.Warning, "Disconnected: {Error} (close {CloseStatus}).")]
    public static partial void Disconnected(ILogger logger, Enum? error, int? closeStatus, Exception? exception);

    [LoggerMessage(3, LogLevel.Warning, "Unparsable server message ({Reason}, {Length} bytes).")]
    public static partial void ProtocolError(ILogger logger, Enum reason, long length);

    [LoggerMessage(4, LogLevel.Warning, "Server error for request {RequestId}: {Code} {Field} {Message}.")]
    public static partial void ServerError(ILogger logger, string? requestId, string? code, string? field, string? message);

    [LoggerMessage(5, LogLevel.Warning, "Gap on {Channel} from {From}: {Message}. The strategy's state is incomplete.")]
    public static partial void Gap(ILogger logger, string? channel, string? from, string? message);

    [LoggerMessage(6, LogLevel.Warning, "Slow consumers: {Dropped} messages dropped so far ({Signals} signals).")]
    public static partial void Dropped(ILogger logger, long dropped, long signals);

    [LoggerMessage(7, LogLevel.Error, "An application event handler threw.")]
    public static partial void EventHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Debug, "Subscription {Action} {Channel} {StrategyId} acknowledged ({RequestId}).")]
    public static partial void Acknowledged(ILogger logger, string action, Enum channel, long strategyId, string requestId);

    [LoggerMessage(9, LogLevel.Warning, "Reconnect attempt {Attempt} in {Delay} after {Error}.")]
    public static partial void Reconnecting(ILogger logger, int attempt, TimeSpan delay, Enum? error);

    [LoggerMessage(10, LogLevel.Warning, "Restoring the subscription {Channel} {StrategyId} failed.")]
    public static partial void RestoreFailed(ILogger logger, Enum channel, long strategyId, Exception exception);

    [LoggerMessage(11, LogLevel.Error, "Saving the checkpoints failed; will retry.")]
    public static partial void CheckpointSaveFailed(ILogger logger, Exception exception);

    [LoggerMessage(12, LogLevel.Warning, "Consumers are {Bytes} bytes behind: disconnecting, to resume once they have drained.")]
    public static partial void Shedding(ILogger logger, long bytes);

    [LoggerMessage(13, LogLevel.Debug, "Requesting {Action} {Channel} {StrategyId} resume_from {ResumeFrom} ({RequestId}).")]
    public static partial void Requesting(ILogger logger, string action, Enum channel, long strategyId, long? resumeFrom, string requestId);
}
