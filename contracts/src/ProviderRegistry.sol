// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {IERC20} from "./IERC20.sol";

/// Provider bonds: a provider bonds tokens to take work, asks to unbond and waits a delay
/// before withdrawing (slashable meanwhile); only the settlement address slashes, when a
/// quorum has proven a provider's result wrong.
contract ProviderRegistry {
    struct Provider {
        uint96 bonded;
        uint96 unbonding;
        uint64 unbondAt;  // when `unbonding` may be withdrawn
    }

    IERC20 public immutable token;
    address public immutable settlement;
    uint64 public immutable unbondDelay;
    uint96 public immutable minBond;
    mapping(address => Provider) public providers;

    event Bonded(address indexed provider, uint96 amount, uint96 bonded);
    event UnbondRequested(address indexed provider, uint96 amount, uint64 unbondAt);
    event Withdrawn(address indexed provider, uint96 amount);
    event Slashed(address indexed provider, uint96 amount, address indexed to);

    error NotSettlement();
    error ZeroAmount();
    error InsufficientBond();
    error StillUnbonding(uint64 unbondAt);
    error TransferFailed();

    constructor(IERC20 token_, address settlement_, uint64 unbondDelay_, uint96 minBond_) {
        token = token_;
        settlement = settlement_;
        unbondDelay = unbondDelay_;
        minBond = minBond_;
    }

    function bond(uint96 amount) external {
        if (amount == 0) revert ZeroAmount();
        if (!token.transferFrom(msg.sender, address(this), amount)) revert TransferFailed();
        Provider storage p = providers[msg.sender];
        p.bonded += amount;
        emit Bonded(msg.sender, amount, p.bonded);
    }

    function requestUnbond(uint96 amount) external {
        Provider storage p = providers[msg.sender];
        if (amount == 0) revert ZeroAmount();
        if (p.bonded < amount) revert InsufficientBond();
        p.bonded -= amount;
        p.unbonding += amount;
        p.unbondAt = uint64(block.timestamp) + unbondDelay;  // a later request restarts the wait
        emit UnbondRequested(msg.sender, amount, p.unbondAt);
    }

    function withdraw() external {
        Provider storage p = providers[msg.sender];
        if (block.timestamp < p.unbondAt) revert StillUnbonding(p.unbondAt);
        uint96 amount = p.unbonding;
        if (amount == 0) revert ZeroAmount();
        p.unbonding = 0;
        if (!token.transfer(msg.sender, amount)) revert TransferFailed();
        emit Withdrawn(msg.sender, amount);
    }

    /// Takes up to `amount` from the provider's bond, then from what it is unbonding, and
    /// sends it to `to`; returns what was taken.
    function slash(address provider, uint96 amount, address to) external returns (uint96 taken) {
        if (msg.sender != settlement) revert NotSettlement();
        Provider storage p = providers[provider];
        uint96 fromBond = amount < p.bonded ? amount : p.bonded;
        uint96 rest = amount - fromBond;
        uint96 fromUnbonding = rest < p.unbonding ? rest : p.unbonding;
        p.bonded -= fromBond;
        p.unbonding -= fromUnbonding;
        taken = fromBond + fromUnbonding;
        if (taken > 0 && !token.transfer(to, taken)) revert TransferFailed();
        emit Slashed(provider, taken, to);
    }

    function isBonded(address provider) external view returns (bool) {
        return providers[provider].bonded >= minBond;
    }
}
