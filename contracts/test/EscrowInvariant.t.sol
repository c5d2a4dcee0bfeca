// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {Base} from "./Base.sol";
import {JobEscrow} from "../src/JobEscrow.sol";
import {TestStablecoin} from "../src/TestStablecoin.sol";

/// Random sequences of everything anyone may do to the escrow, with bounded inputs; it
/// keeps the list of open locks so the invariants can add them up.
contract EscrowHandler is Base {
    TestStablecoin public token;
    JobEscrow public escrow;
    address[3] public actors = [address(0xA1), address(0xA2), address(0xA3)];
    address public constant TREASURY = address(0x7EA5);
    uint64[] public openLocks;
    uint64 public nextId = 1;
    uint256 public fees;     // fees credited, as the handler computed them
    uint256 public paidOut;  // gross paid to providers

    constructor() {
        token = new TestStablecoin();
        escrow = new JobEscrow(token, address(this), TREASURY);
        for (uint256 i = 0; i < 3; ++i) {
            token.mint(actors[i], 1e15);
            vm.prank(actors[i]);
            token.approve(address(escrow), type(uint256).max);
        }
    }

    function openLockCount() external view returns (uint256) {
        return openLocks.length;
    }

    function deposit(uint256 who, uint96 amount) external {
        amount = uint96(bound(amount, 1, 1e12));
        vm.prank(actors[who % 3]);
        escrow.deposit(amount);
    }

    function withdraw(uint256 who, uint96 amount) external {
        address a = actors[who % 3];
        (uint96 free,,) = escrow.accounts(a);
        if (free == 0) return;
        vm.prank(a);
        escrow.withdraw(uint96(bound(amount, 0, free)));
    }

    function commit(uint256 who, uint96 amount, uint32 ahead) external {
        address a = actors[who % 3];
        (uint96 free,,) = escrow.accounts(a);
        vm.prank(a);
        escrow.commit(uint96(bound(amount, 0, free)), uint64(block.timestamp + bound(ahead, 0, 1000)));
    }

    function reclaim(uint256 who, uint16 later) external {
        vm.warp(block.timestamp + later);
        address a = actors[who % 3];
        (,, uint64 until) = escrow.accounts(a);
        if (block.timestamp <= until) return;
        vm.prank(a);
        escrow.reclaim();
    }

    function lock(uint256 who, uint64 amount) external {
        address a = actors[who % 3];
        (uint96 free,,) = escrow.accounts(a);
        if (free == 0) return;
        amount = uint64(bound(amount, 1, free > type(uint64).max ? type(uint64).max : free));
        vm.prank(a);
        escrow.lockJob(nextId, amount, uint32(block.timestamp + 500));
        openLocks.push(nextId++);
    }

    function release(uint256 which, uint64 gross, bool close) external {
        if (openLocks.length == 0) return;
        uint256 at = which % openLocks.length;
        uint64 id = openLocks[at];
        (, uint64 left,) = escrow.locks(id);
        address[] memory to = new address[](1);
        to[0] = actors[(which / 7) % 3];
        uint64[] memory g = new uint64[](1);
        g[0] = uint64(bound(gross, 0, left));
        escrow.releaseJob(id, to, g, close);
        fees += g[0] / 100;
        paidOut += g[0];
        if (close) _forget(at);
    }

    function refund(uint256 which, uint16 later) external {
        if (openLocks.length == 0) return;
        vm.warp(block.timestamp + later);
        uint256 at = which % openLocks.length;
        (,, uint32 deadline) = escrow.locks(openLocks[at]);
        if (block.timestamp <= deadline) return;
        escrow.refundJob(openLocks[at]);
        _forget(at);
    }

    function settle(uint256 who, uint8 count, uint64 seed) external {
        address a = actors[who % 3];
        (, uint96 budget, uint64 until) = escrow.accounts(a);
        if (block.timestamp > until || budget == 0) return;
        uint256 n = bound(count, 1, 5);
        uint256[] memory jobs = new uint256[](n * 2);
        uint256 each = budget / n;
        for (uint256 j = 0; j < n; ++j) {
            jobs[2 * j] = uint256(nextId++ | (uint64(1) << 63)) | (uint256(1) << 80);
            uint256 g = uint256(keccak256(abi.encode(seed, j))) % (each + 1);
            jobs[2 * j + 1] = (j % 3) | (g << 16);
            fees += g / 100;
            paidOut += g;
        }
        address[] memory requesters = new address[](1);
        requesters[0] = a;
        address[] memory to = new address[](3);
        for (uint256 i = 0; i < 3; ++i) to[i] = actors[i];
        escrow.settleBatch(requesters, to, jobs);
    }

    function withdrawCredits(uint256 who) external {
        address a = actors[who % 3];
        if (escrow.credits(a) == 0) return;
        vm.prank(a);
        escrow.withdrawCredits();
    }

    function _forget(uint256 at) private {
        openLocks[at] = openLocks[openLocks.length - 1];
        openLocks.pop();
    }
}

contract EscrowInvariantTest is Base {
    EscrowHandler internal handler;

    function setUp() public {
        handler = new EscrowHandler();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// The escrow holds exactly what it owes: free and committed balances, open locks and
    /// credits not yet withdrawn.
    function invariant_EscrowHoldsExactlyWhatItOwes() public view {
        JobEscrow escrow = handler.escrow();
        uint256 owed = escrow.credits(handler.TREASURY());
        for (uint256 i = 0; i < 3; ++i) {
            address a = handler.actors(i);
            (uint96 free, uint96 committed,) = escrow.accounts(a);
            owed += uint256(free) + committed + escrow.credits(a);
        }
        for (uint256 i = 0; i < handler.openLockCount(); ++i) {
            (, uint64 left,) = escrow.locks(handler.openLocks(i));
            owed += left;
        }
        assertEq(handler.token().balanceOf(address(escrow)), owed, "escrow balance = what it owes");
    }

    /// The treasury's credit is exactly the 1 % (rounded down per payment) of every payment.
    function invariant_FeeIsExactlyOnePercentOfEveryPayment() public view {
        assertEq(handler.escrow().credits(handler.TREASURY()), handler.fees(), "treasury = sum of gross/100");
    }
}
