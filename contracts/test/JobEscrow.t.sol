// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {Fixture} from "./Fixture.sol";
import {JobEscrow} from "../src/JobEscrow.sol";

contract JobEscrowTest is Fixture {
    function release3(uint64 jobId, uint64 each, bool close) internal {
        uint64[] memory gross = new uint64[](3);
        gross[0] = gross[1] = gross[2] = each;
        escrow.releaseJob(jobId, payees(), gross, close);
    }

    function test_OneJobLockedPaidToItsProvidersLessTheFeeAndTheRestRefunded() public {
        vm.prank(ALICE);
        escrow.lockJob(7, 1_000_000, uint32(block.timestamp + 3600));
        assertEq(free(ALICE), 1_000_000_000 - 1_000_000, "locked");
        release3(7, 100_000, true);
        for (uint256 i = 0; i < 3; ++i) assertEq(escrow.credits(providers[i]), 99_000, "provider paid less 1 %");
        assertEq(escrow.credits(TREASURY), 3_000, "treasury has the fee");
        assertEq(free(ALICE), 1_000_000_000 - 300_000, "the rest refunded");
        assertTrue(escrow.isUsed(7), "the id is used for ever");
    }

    function test_MilestonesPayInStepsButNeverBeyondTheLock() public {
        vm.prank(ALICE);
        escrow.lockJob(8, 600_000, uint32(block.timestamp + 3600));
        release3(8, 100_000, false);  // milestone 1
        release3(8, 100_000, false);  // milestone 2
        vm.expectRevert(abi.encodeWithSelector(JobEscrow.LockExceeded.selector, uint64(8)));
        release3(8, 100_001, false);
        release3(8, 0, true);
        assertEq(free(ALICE), 1_000_000_000 - 600_000, "all spent, nothing to refund");
        assertEq(escrow.credits(providers[0]), 198_000, "two milestones less the fee");
    }

    function test_AfterItsDeadlineAnyoneRefundsAJobWithoutTheScheduler() public {
        vm.prank(ALICE);
        escrow.lockJob(9, 500_000, uint32(block.timestamp + 100));
        vm.expectRevert(abi.encodeWithSelector(JobEscrow.NotYet.selector, uint256(block.timestamp + 100)));
        escrow.refundJob(9);
        vm.warp(block.timestamp + 101);
        vm.prank(BOB);  // not the requester, not the settlement: a keeper
        escrow.refundJob(9);
        assertEq(free(ALICE), 1_000_000_000, "whole lock back");
        vm.expectRevert(abi.encodeWithSelector(JobEscrow.NoSuchLock.selector, uint64(9)));
        escrow.refundJob(9);
    }

    function test_OnlyTheSettlementAddressReleasesOrSettles() public {
        vm.prank(ALICE);
        escrow.lockJob(10, 500_000, uint32(block.timestamp + 100));
        vm.prank(ALICE);
        vm.expectRevert(JobEscrow.NotSettlement.selector);
        escrow.releaseJob(10, payees(), new uint64[](3), true);
        vm.prank(providers[0]);
        vm.expectRevert(JobEscrow.NotSettlement.selector);
        escrow.settleBatch(one(ALICE), payees(), batchOf(11, 1, 1));
    }

    function test_NoPathPaysTwice() public {
        vm.prank(ALICE);
        escrow.commit(10_000_000, uint64(block.timestamp + 3600));
        escrow.settleBatch(one(ALICE), payees(), batchOf(100, 2, 1_000));
        vm.expectRevert(abi.encodeWithSelector(JobEscrow.JobIdUsed.selector, uint64(101) | BATCH));
        escrow.settleBatch(one(ALICE), payees(), batchOf(101, 1, 1_000));  // settled already
        vm.prank(ALICE);
        escrow.lockJob(200, 1_000, uint32(block.timestamp + 1));
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(JobEscrow.JobIdUsed.selector, uint64(200)));
        escrow.lockJob(200, 1, uint32(block.timestamp + 1));  // nor locked twice
        release3(200, 100, true);
        vm.expectRevert(abi.encodeWithSelector(JobEscrow.NoSuchLock.selector, uint64(200)));
        release3(200, 100, true);  // closed: nothing more
    }

    function test_ABatchDebitsTheBudgetOnceAndOnlyUntilItsDate() public {
        vm.prank(ALICE);
        escrow.commit(1_000_000, uint64(block.timestamp + 60));
        escrow.settleBatch(one(ALICE), payees(), batchOf(1_000, 10, 10_000));
        assertEq(committed(ALICE), 1_000_000 - 300_000, "10 jobs x 3 x 10,000");
        assertEq(escrow.credits(TREASURY), 3_000, "1 % of 300,000");
        vm.expectRevert(JobEscrow.InsufficientFunds.selector);
        escrow.settleBatch(one(ALICE), payees(), batchOf(2_000, 30, 10_000));  // 900,000 > 700,000 left
        vm.warp(block.timestamp + 61);
        vm.expectRevert(abi.encodeWithSelector(JobEscrow.BudgetExpired.selector, ALICE));
        escrow.settleBatch(one(ALICE), payees(), batchOf(3_000, 1, 10));
        vm.prank(ALICE);
        escrow.reclaim();
        assertEq(free(ALICE), 1_000_000_000 - 300_000, "the unspent budget is back");
    }

    function test_BatchIdsAndLockIdsCannotBlockEachOther() public {
        // A requester locking a batch id first would make every batch holding it revert.
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(JobEscrow.BadJobId.selector, uint64(300) | BATCH));
        escrow.lockJob(300 | BATCH, 1, uint32(block.timestamp + 1));
        vm.prank(ALICE);
        escrow.commit(1_000_000, uint64(block.timestamp + 60));
        uint256[] memory jobs = batchOf(300, 1, 10);
        jobs[0] = uint256(300) | (uint256(3) << 80);  // a lock id in a batch
        vm.expectRevert(abi.encodeWithSelector(JobEscrow.BadJobId.selector, uint64(300)));
        escrow.settleBatch(one(ALICE), payees(), jobs);
        vm.prank(ALICE);
        escrow.lockJob(300, 1_000, uint32(block.timestamp + 1));
        escrow.settleBatch(one(ALICE), payees(), batchOf(300, 1, 10));  // the same number, each in its half
    }

    function test_MalformedBatchesAreRefused() public {
        vm.prank(ALICE);
        escrow.commit(1_000_000, uint64(block.timestamp + 60));
        uint256[] memory jobs = batchOf(1, 1, 10);
        jobs[0] = header(1, 1, 3);  // requester index 1 of 1
        vm.expectRevert(JobEscrow.BadBatch.selector);
        escrow.settleBatch(one(ALICE), payees(), jobs);
        jobs[0] = header(1, 0, 4);  // 4 payments announced, 3 present
        vm.expectRevert(JobEscrow.BadBatch.selector);
        escrow.settleBatch(one(ALICE), payees(), jobs);
        jobs[0] = header(1, 0, 3);
        jobs[1] = payment(3, 10);  // payee index 3 of 3
        vm.expectRevert(JobEscrow.BadBatch.selector);
        escrow.settleBatch(one(ALICE), payees(), jobs);
    }

    function test_EarningsAreWithdrawn() public {
        vm.prank(ALICE);
        escrow.lockJob(5, 1_000, uint32(block.timestamp + 1));
        release3(5, 100, true);
        vm.prank(providers[1]);
        escrow.withdrawCredits();
        assertEq(token.balanceOf(providers[1]), 99, "100 less the 1 % fee, rounded down to 1");
        vm.prank(providers[1]);
        vm.expectRevert(JobEscrow.ZeroAmount.selector);
        escrow.withdrawCredits();
    }

    /// The fee is gross / 100 rounded down, per payment: exactly 1 % when it divides, never
    /// more, and nothing is created or lost.
    function testFuzz_FeeIsOnePercentRoundedDown(uint64 gross) public {
        gross = uint64(bound(gross, 0, 333_333_333));
        vm.prank(ALICE);
        escrow.lockJob(42, 1_000_000_000, uint32(block.timestamp + 1));
        release3(42, gross, true);
        assertEq(escrow.credits(TREASURY), 3 * (gross / 100), "fee per payment, rounded down");
        assertEq(escrow.credits(providers[0]) + gross / 100, gross, "provider + fee = gross");
        assertEq(free(ALICE) + 3 * uint256(gross), 1_000_000_000, "requester keeps the rest");
    }

    function testFuzz_BatchesConserveMoney(uint8 count, uint64 seed) public {
        uint256 n = bound(count, 1, 40);
        vm.prank(ALICE);
        escrow.commit(900_000_000, uint64(block.timestamp + 60));
        uint256[] memory jobs = new uint256[](n * 4);
        uint256 total;
        for (uint256 j = 0; j < n; ++j) {
            jobs[4 * j] = header(uint64(seed % 1e12) + uint64(j), 0, 3);
            for (uint256 p = 0; p < 3; ++p) {
                uint96 g = uint96(uint256(keccak256(abi.encode(seed, j, p))) % 1_000_000);
                jobs[4 * j + 1 + p] = payment(p, g);
                total += g;
            }
        }
        escrow.settleBatch(one(ALICE), payees(), jobs);
        uint256 credited = escrow.credits(TREASURY);
        for (uint256 p = 0; p < 3; ++p) credited += escrow.credits(providers[p]);
        assertEq(credited, total, "what the requester paid is what was credited");
        assertEq(900_000_000 - committed(ALICE), total, "debited once, the sum of the jobs");
        assertEq(token.balanceOf(address(escrow)), 2_000_000_000, "the escrow still holds every token");
    }
}
