using C2Fast.Session;

namespace C2Fast.Tests.Session;

/// <summary>
/// What the client is subscribed to: reservations for requests in flight and acknowledged subscriptions, which
/// together count against the per-connection limit.
/// </summary>
public class SubscriptionRegistryTests
{
    [Fact]
    public void TryReserve_UnderTheLimit_ReservesAndReportsHowManyWerePlannedBefore()
    {
        var registry = new SubscriptionRegistry();

        Assert.True(registry.TryReserve(C2Channel.Signal, 101, limit: 3, out int planned));
        Assert.Equal(0, planned);
        Assert.True(registry.TryReserve(C2Channel.Signal, 202, limit: 3, out planned));
        Assert.Equal(1, planned);
        Assert.True(registry.TryReserve(C2Channel.Positions, 101, limit: 3, out planned)); // another channel: another subscription
        Assert.Equal(2, planned);
        Assert.Empty(registry.Active); // reserved, not active
    }

    [Fact]
    public void TryReserve_AtTheLimit_FalseWithThePlannedCount()
    {
        var registry = new SubscriptionRegistry();
        Assert.True(registry.TryReserve(C2Channel.Signal, 101, limit: 2, out _));
        Assert.True(registry.TryReserve(C2Channel.Signal, 202, limit: 2, out _));

        Assert.False(registry.TryReserve(C2Channel.Signal, 303, limit: 2, out int planned));
        Assert.Equal(2, planned);

        // Refused means not reserved: it still is not there once room is made.
        registry.Release(C2Channel.Signal, 101);
        Assert.True(registry.TryReserve(C2Channel.Signal, 404, limit: 2, out planned));
        Assert.Equal(1, planned);
        Assert.False(registry.TryReserve(C2Channel.Signal, 303, limit: 2, out planned));
        Assert.Equal(2, planned);
    }

    [Fact]
    public void TryReserve_AlreadyRequested_NeedsNoRoom()
    {
        var registry = new SubscriptionRegistry();
        Assert.True(registry.TryReserve(C2Channel.Signal, 101, limit: 1, out _));

        Assert.True(registry.TryReserve(C2Channel.Signal, 101, limit: 1, out int planned));
        Assert.Equal(1, planned);
        Assert.False(registry.TryReserve(C2Channel.Signal, 202, limit: 1, out _)); // counted once
    }

    [Fact]
    public void TryReserve_AlreadyActive_NeedsNoRoom()
    {
        var registry = new SubscriptionRegistry();
        Assert.True(registry.TryReserve(C2Channel.Signal, 101, limit: 1, out _));
        registry.Acknowledged(C2Channel.Signal, 101, subscribe: true);

        Assert.True(registry.TryReserve(C2Channel.Signal, 101, limit: 1, out int planned));
        Assert.Equal(1, planned);
        Assert.False(registry.TryReserve(C2Channel.Signal, 202, limit: 1, out _));
    }

    [Fact]
    public void TryReserve_LimitZero_RefusesANewOne()
    {
        var registry = new SubscriptionRegistry();
        Assert.False(registry.TryReserve(C2Channel.Signal, 101, limit: 0, out int planned));
        Assert.Equal(0, planned);
    }

    [Fact]
    public void Acknowledged_Subscribe_MakesItActiveAndFreesTheReservation()
    {
        var registry = new SubscriptionRegistry();
        Assert.True(registry.TryReserve(C2Channel.Signal, 101, limit: 2, out _));

        registry.Acknowledged(C2Channel.Signal, 101, subscribe: true);

        Assert.Equal(new[] { (C2Channel.Signal, 101L) }, registry.Active);
        // Counted once (active), not twice (active and requested).
        Assert.True(registry.TryReserve(C2Channel.Signal, 202, limit: 2, out int planned));
        Assert.Equal(1, planned);
        // A Release after the ack leaves the active one alone.
        registry.Release(C2Channel.Signal, 101);
        Assert.Contains((C2Channel.Signal, 101L), registry.Active);
    }

    [Fact]
    public void Acknowledged_SubscribeWithoutReservation_Active()
    {
        var registry = new SubscriptionRegistry();
        registry.Acknowledged(C2Channel.Positions, 101, subscribe: true);
        Assert.Equal(new[] { (C2Channel.Positions, 101L) }, registry.Active);
    }

    [Fact]
    public void Acknowledged_Unsubscribe_RemovesTheActiveOneAndMakesRoom()
    {
        var registry = new SubscriptionRegistry();
        Assert.True(registry.TryReserve(C2Channel.Signal, 101, limit: 1, out _));
        registry.Acknowledged(C2Channel.Signal, 101, subscribe: true);

        // The unsubscribe is reserved like any request (it is active, so it needs no room) and then acknowledged.
        Assert.True(registry.TryReserve(C2Channel.Signal, 101, limit: 1, out _));
        registry.Acknowledged(C2Channel.Signal, 101, subscribe: false);

        Assert.Empty(registry.Active);
        Assert.True(registry.TryReserve(C2Channel.Signal, 202, limit: 1, out int planned));
        Assert.Equal(0, planned);
    }

    [Fact]
    public void Acknowledged_UnsubscribeOfTheOtherChannel_KeepsThisOne()
    {
        var registry = new SubscriptionRegistry();
        registry.Acknowledged(C2Channel.Signal, 101, subscribe: true);
        registry.Acknowledged(C2Channel.Positions, 101, subscribe: true);

        registry.Acknowledged(C2Channel.Positions, 101, subscribe: false);

        Assert.Equal(new[] { (C2Channel.Signal, 101L) }, registry.Active);
    }

    [Fact]
    public void Release_Reservation_DroppedAndItsRoomFreed()
    {
        var registry = new SubscriptionRegistry();
        Assert.True(registry.TryReserve(C2Channel.Signal, 101, limit: 1, out _));

        registry.Release(C2Channel.Signal, 101);

        Assert.Empty(registry.Active);
        Assert.True(registry.TryReserve(C2Channel.Signal, 202, limit: 1, out int planned));
        Assert.Equal(0, planned);
    }

    [Fact]
    public void Release_ActiveSubscription_StaysActive()
    {
        var registry = new SubscriptionRegistry();
        registry.Acknowledged(C2Channel.Signal, 101, subscribe: true);

        registry.Release(C2Channel.Signal, 101);
        registry.Release(C2Channel.Signal, 999); // never known: nothing happens

        Assert.Equal(new[] { (C2Channel.Signal, 101L) }, registry.Active);
        Assert.False(registry.TryReserve(C2Channel.Signal, 202, limit: 1, out int planned));
        Assert.Equal(1, planned);
    }

    [Fact]
    public void Active_IsASnapshot()
    {
        var registry = new SubscriptionRegistry();
        registry.Acknowledged(C2Channel.Signal, 101, subscribe: true);
        IReadOnlyCollection<(C2Channel Channel, long StrategyId)> before = registry.Active;

        registry.Acknowledged(C2Channel.Signal, 202, subscribe: true);
        registry.Acknowledged(C2Channel.Signal, 101, subscribe: false);

        Assert.Equal(new[] { (C2Channel.Signal, 101L) }, before);
        Assert.Equal(new[] { (C2Channel.Signal, 202L) }, registry.Active);
        Assert.NotSame(registry.Active, registry.Active);
    }
}
